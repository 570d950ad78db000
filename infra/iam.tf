################################################################################
# The function's role: exactly what the application does, on exactly its resources.
################################################################################

data "aws_iam_policy_document" "function_assume_role" {
  statement {
    sid     = "LambdaAssumesRole"
    actions = ["sts:AssumeRole"]

    # No aws:SourceAccount condition: a role cannot be passed to another account's function
    # (iam:PassRole), so it would add nothing that could be tested here.
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = "${var.name}-function"
  description        = "Runs the ${var.name} image pipeline function."
  assume_role_policy = data.aws_iam_policy_document.function_assume_role.json
}

data "aws_iam_policy_document" "function" {
  # Its own log group only (created by this stack, so no logs:CreateLogGroup).
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  # The exact object version named in the event, under the input prefix only.
  statement {
    sid       = "ReadInputObjects"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.this["input"].arn}/${var.input_prefix}*"]
  }

  # Not called by the code: S3 answers a GetObject of a deleted key with 404 NoSuchKey only to a
  # role that may list the bucket, and with 403 AccessDenied otherwise. The function records a
  # deleted object as failed but retries a denial (a deployment mistake, redrivable from the
  # DLQ once fixed), so it must be able to tell them apart. No s3:prefix condition: the GetObject
  # that S3 checks this for carries no prefix, so a condition would never match.
  statement {
    sid       = "TellDeletedInputsFromDenials"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this["input"].arn]
  }

  # Renditions, under the output prefix of the output bucket only: no write to the input bucket,
  # no recursive trigger.
  statement {
    sid       = "WriteRenditions"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this["output"].arn}/${local.output_prefix}*"]
  }

  # The record store: a consistent read and a conditional put (ConditionExpression needs nothing
  # beyond PutItem).
  statement {
    sid       = "ReadWriteRecords"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
    resources = [aws_dynamodb_table.records.arn]
  }

  # What the SQS event source mapping does on the function's behalf.
  statement {
    sid = "ConsumeEvents"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ChangeMessageVisibility",
    ]
    resources = [aws_sqs_queue.events.arn]
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "${var.name}-function"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

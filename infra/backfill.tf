################################################################################
# Backfill and reprocess with S3 Batch Operations: the role a job assumes, and the command that
# starts one. Manifests and reports live in the ops bucket (storage.tf), never in the input
# bucket: a report written where the input bucket notifies would be queued for the function.
# ops/backfill-manifest.py and ops/failed-manifest.py write the manifests.
################################################################################

data "aws_iam_policy_document" "batch_operations_assume_role" {
  statement {
    sid     = "S3BatchOperationsAssumesRole"
    actions = ["sts:AssumeRole"]

    # As for the function's role: only a principal of this account allowed iam:PassRole on it
    # can hand it to a job, so a source condition would add nothing testable here.
    principals {
      type        = "Service"
      identifiers = [local.batch_service_principal]
    }
  }
}

resource "aws_iam_role" "batch_operations" {
  name               = "${var.name}-batch-operations"
  description        = "Assumed by S3 Batch Operations jobs that run the ${var.name} function over a manifest."
  assume_role_policy = data.aws_iam_policy_document.batch_operations_assume_role.json
}

data "aws_iam_policy_document" "batch_operations" {
  # The unqualified ARN, as the create-job command names it: the function is not published, so
  # no version or alias ARN is needed (an unqualified grant does not cover qualified ones).
  statement {
    sid       = "InvokeTheFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.this.arn]
  }

  # The manifest, including a given version of it (create-job may name one).
  statement {
    sid       = "ReadManifests"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.this["ops"].arn}/${local.batch_manifest_prefix}*"]
  }

  # The completion report, under its own prefix of the ops bucket only.
  statement {
    sid       = "WriteReports"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this["ops"].arn}/${local.batch_report_prefix}*"]
  }

  # AWS's published Batch Operations policies grant it on the manifest and report bucket: the
  # job checks the bucket's region before it reads or writes there.
  statement {
    sid       = "LocateOpsBucket"
    actions   = ["s3:GetBucketLocation"]
    resources = [aws_s3_bucket.this["ops"].arn]
  }
}

resource "aws_iam_role_policy" "batch_operations" {
  name   = "${var.name}-batch-operations"
  role   = aws_iam_role.batch_operations.id
  policy = data.aws_iam_policy_document.batch_operations.json
}

locals {
  # The create-job arguments that do not change from job to job (the CLI shapes of
  # s3control CreateJob: LambdaInvoke operation, JobReport).
  batch_job_operation = jsonencode({
    LambdaInvoke = {
      FunctionArn             = aws_lambda_function.this.arn
      InvocationSchemaVersion = local.batch_invocation_schema_version
    }
  })
  batch_job_report = jsonencode({
    Bucket      = aws_s3_bucket.this["ops"].arn
    Format      = local.batch_report_format
    Enabled     = true
    Prefix      = trimsuffix(local.batch_report_prefix, "/")
    ReportScope = local.batch_report_scope
  })
}

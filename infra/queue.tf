################################################################################
# S3 -> SQS -> Lambda: the queue absorbs bursts and retries, the event source mapping applies
# back-pressure (maximum_concurrency), failed messages end in the dead-letter queue.
################################################################################

data "aws_caller_identity" "current" {}

resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.name}-dead-letter"
  message_retention_seconds = var.dead_letter_retention_seconds
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "events" {
  name                       = "${var.name}-events"
  visibility_timeout_seconds = local.queue_visibility_timeout_seconds
  message_retention_seconds  = var.queue_retention_seconds
  receive_wait_time_seconds  = local.queue_receive_wait_seconds
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = var.max_receive_count
  })

  lifecycle {
    precondition {
      condition     = local.queue_visibility_timeout_seconds >= local.visibility_timeout_multiplier * var.function_timeout_seconds
      error_message = "The queue's visibility timeout must be at least 6x the function timeout, or messages are redelivered while still being processed."
    }
  }
}

# Only the event queue may redrive into the dead-letter queue.
resource "aws_sqs_queue_redrive_allow_policy" "dead_letter" {
  queue_url = aws_sqs_queue.dead_letter.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.events.arn]
  })
}

# S3 may send the input bucket's notifications to the queue, and nothing else may.
data "aws_iam_policy_document" "events_queue" {
  statement {
    sid       = "InputBucketNotifications"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events.arn]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.this["input"].arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "events" {
  queue_url = aws_sqs_queue.events.id
  policy    = data.aws_iam_policy_document.events_queue.json
}

resource "aws_s3_bucket_notification" "input" {
  bucket = aws_s3_bucket.this["input"].id

  queue {
    id            = "${var.name}-input-created"
    queue_arn     = aws_sqs_queue.events.arn
    events        = local.input_events
    filter_prefix = var.input_prefix == "" ? null : var.input_prefix
    filter_suffix = var.input_suffix == "" ? null : var.input_suffix
  }

  # S3 checks it may send to the queue when the notification is configured (and then sends an
  # s3:TestEvent, which the function skips).
  depends_on = [aws_sqs_queue_policy.events]
}

resource "aws_cloudwatch_metric_alarm" "dead_letter" {
  alarm_name        = "${var.name}-dead-letter-not-empty"
  alarm_description = "Messages in ${aws_sqs_queue.dead_letter.name}: objects the function failed ${var.max_receive_count} times. Look at the function's logs, fix, then redrive the messages to ${aws_sqs_queue.events.name}."

  namespace   = "AWS/SQS"
  metric_name = "ApproximateNumberOfMessagesVisible"
  dimensions = {
    QueueName = aws_sqs_queue.dead_letter.name
  }
  statistic           = "Maximum"
  period              = local.dead_letter_alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = local.dead_letter_alarm_threshold
  treat_missing_data  = "notBreaching"

  alarm_actions = var.alarm_actions
  ok_actions    = var.alarm_actions
}

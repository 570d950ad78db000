################################################################################
# Alarms beside the dead-letter queue's (queue.tf), all notifying var.alarm_actions.
################################################################################

# Messages wait longer than they should: the function is failing, throttled or outpaced.
resource "aws_cloudwatch_metric_alarm" "backlog" {
  alarm_name        = "${var.name}-backlog"
  alarm_description = "The oldest message in ${aws_sqs_queue.events.name} has waited more than ${var.backlog_alarm_age_seconds} s. Look at the dashboard ${local.dashboard_name}: function errors, throttles, concurrency."

  namespace   = "AWS/SQS"
  metric_name = "ApproximateAgeOfOldestMessage"
  dimensions = {
    QueueName = aws_sqs_queue.events.name
  }
  statistic           = "Maximum"
  period              = local.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.backlog_alarm_age_seconds
  treat_missing_data  = "notBreaching"

  alarm_actions = var.alarm_actions
  ok_actions    = var.alarm_actions
}

# Inputs the function refused (each has its failed record and a place in the failed-records
# index: README, "Backfill and reprocess", lists them by kind).
resource "aws_cloudwatch_metric_alarm" "failed_records" {
  alarm_name        = "${var.name}-failed-records"
  alarm_description = "More than ${var.failed_records_alarm_threshold} failed records written in ${local.alarm_period_seconds / 60} minutes. List them by kind with the ${local.failed_index_name} index of ${aws_dynamodb_table.records.name} (README: Backfill and reprocess)."

  namespace   = var.metrics_namespace
  metric_name = local.objects_recorded_metric
  dimensions = {
    Status = local.record_status_failed
  }
  statistic           = "Sum"
  period              = local.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.failed_records_alarm_threshold
  treat_missing_data  = "notBreaching"

  alarm_actions = var.alarm_actions
  ok_actions    = var.alarm_actions
}

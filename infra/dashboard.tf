################################################################################
# The dashboard an operator opens first: what went through, what failed, what it cost, and
# whether anything is waiting.
################################################################################

locals {
  dashboard_name = "${var.name}-pipeline"
  # A graph's period, in seconds.
  dashboard_period_seconds = 300

  # [namespace, metric, dimension name, dimension value, ...] as CloudWatch dashboards name a
  # metric: the extension's metrics carry the dimensions IMAGEPIPE_METRICS_DIMENSIONS gives them.
  extension_metric = { for key, metric in local.extension_metrics : key => concat(
    [var.metrics_namespace, metric],
    flatten([for name, value in local.metrics_dimensions : [name, value]]),
  ) }
  function_dimension = ["FunctionName", aws_lambda_function.this.function_name]

  dashboard_widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title = "Objects: recorded complete, recorded failed, unchanged (record already matched)"
        view  = "timeSeries", stacked = false, region = local.try_region, period = local.dashboard_period_seconds
        stat  = "Sum"
        metrics = [
          [var.metrics_namespace, local.objects_recorded_metric, "Status", local.record_status_complete, { label = "complete" }],
          [var.metrics_namespace, local.objects_recorded_metric, "Status", local.record_status_failed, { label = "failed", color = "#d62728" }],
          [var.metrics_namespace, local.objects_unchanged_metric, { label = "unchanged" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 21, width = 12, height = 6
      properties = {
        title = "Failed records by kind (failure.kind; list them with the failed-by-kind index)"
        view  = "timeSeries", stacked = true, region = local.try_region, period = local.dashboard_period_seconds
        metrics = [
          [{ expression = "SEARCH('{${var.metrics_namespace},Kind} MetricName=\"${local.objects_failed_metric}\"', 'Sum', ${local.dashboard_period_seconds})", id = "kinds" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title = "Event queue: messages waiting and age of the oldest (s)"
        view  = "timeSeries", stacked = false, region = local.try_region, period = local.dashboard_period_seconds
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.events.name, { stat = "Maximum", label = "waiting" }],
          ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", aws_sqs_queue.events.name, { stat = "Maximum", label = "in flight" }],
          ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", aws_sqs_queue.events.name, { stat = "Maximum", label = "oldest (s)", yAxis = "right" }],
        ]
        annotations = { horizontal = [{ label = "backlog alarm", value = var.backlog_alarm_age_seconds, yAxis = "right" }] }
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 8, height = 6
      properties = {
        title = "Invocations and cold starts"
        view  = "timeSeries", stacked = false, region = local.try_region, period = local.dashboard_period_seconds
        metrics = [
          concat(["AWS/Lambda", "Invocations"], local.function_dimension, [{ stat = "Sum", label = "invocations" }]),
          concat(local.extension_metric.cold_start, [{ stat = "Sum", label = "cold starts" }]),
          concat(local.extension_metric.init_duration, [{ stat = "Average", label = "init (ms)", yAxis = "right" }]),
        ]
      }
    },
    {
      type = "metric", x = 8, y = 6, width = 8, height = 6
      properties = {
        title = "Invocation duration (ms) and peak memory (MB)"
        view  = "timeSeries", stacked = false, region = local.try_region, period = local.dashboard_period_seconds
        metrics = [
          concat(local.extension_metric.duration, [{ stat = "p50", label = "p50" }]),
          concat(local.extension_metric.duration, [{ stat = "p99", label = "p99" }]),
          concat(local.extension_metric.duration, [{ stat = "Maximum", label = "max" }]),
          concat(local.extension_metric.max_memory, [{ stat = "Maximum", label = "peak memory (MB)", yAxis = "right" }]),
        ]
      }
    },
    {
      type = "metric", x = 16, y = 6, width = 8, height = 6
      properties = {
        title = "Estimated cost (USD): per period, and per image recorded"
        view  = "timeSeries", stacked = false, region = local.try_region, period = local.dashboard_period_seconds
        metrics = [
          concat(local.extension_metric.estimated_cost, [{ id = "cost", stat = "Sum", label = "cost per period" }]),
          [var.metrics_namespace, local.objects_recorded_metric, "Status", local.record_status_complete, { id = "complete", stat = "Sum", visible = false }],
          [var.metrics_namespace, local.objects_recorded_metric, "Status", local.record_status_failed, { id = "failed", stat = "Sum", visible = false }],
          [{ expression = "cost / (FILL(complete, 0) + FILL(failed, 0))", label = "cost per image recorded", yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = {
        title = "Function errors and throttles"
        view  = "timeSeries", stacked = false, region = local.try_region, period = local.dashboard_period_seconds
        stat  = "Sum"
        metrics = [
          concat(["AWS/Lambda", "Errors"], local.function_dimension, [{ label = "errors", color = "#d62728" }]),
          concat(["AWS/Lambda", "Throttles"], local.function_dimension, [{ label = "throttles", color = "#ff7f0e" }]),
        ]
      }
    },
    {
      type = "metric", x = 12, y = 12, width = 12, height = 6
      properties = {
        title = "Dead-letter queue: messages the function failed ${var.max_receive_count} times"
        view  = "timeSeries", stacked = false, region = local.try_region, period = local.dashboard_period_seconds
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.dead_letter.name, { stat = "Maximum", label = "dead letters" }],
        ]
      }
    },
    {
      type = "alarm", x = 0, y = 18, width = 24, height = 3
      properties = {
        title = "Alarms"
        alarms = [
          aws_cloudwatch_metric_alarm.dead_letter.arn,
          aws_cloudwatch_metric_alarm.backlog.arn,
          aws_cloudwatch_metric_alarm.failed_records.arn,
        ]
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "pipeline" {
  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}

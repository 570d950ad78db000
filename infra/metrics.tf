################################################################################
# Object counts from the function's own log lines. The extension's EMF metrics are per
# invocation (duration, cost, bytes) and count no objects, so the function's JSON log lines
# (lambda_runtime's JSON subscriber under the JSON log format: the message and fields under
# "fields") are counted here, in the extension's namespace.
################################################################################

# One per record written, by the record's status (Complete or Failed).
resource "aws_cloudwatch_log_metric_filter" "objects_recorded" {
  name           = "${var.name}-objects-recorded"
  log_group_name = aws_cloudwatch_log_group.function.name
  pattern        = "{ $.fields.message = \"${local.recorded_log_message}\" }"

  metric_transformation {
    name      = local.objects_recorded_metric
    namespace = var.metrics_namespace
    value     = "1"
    unit      = "Count"
    dimensions = {
      Status = "$.fields.status"
    }
  }
}

# One per failed record written, by its failure kind (the record's failed_kind, which the
# "recorded" line carries as failure_kind): the dashboard's failures by kind.
resource "aws_cloudwatch_log_metric_filter" "objects_failed" {
  name           = "${var.name}-objects-failed"
  log_group_name = aws_cloudwatch_log_group.function.name
  pattern        = "{ $.fields.message = \"${local.recorded_log_message}\" && $.fields.status = \"${local.record_status_failed}\" }"

  metric_transformation {
    name      = local.objects_failed_metric
    namespace = var.metrics_namespace
    value     = "1"
    unit      = "Count"
    dimensions = {
      Kind = "$.fields.failure_kind"
    }
  }
}

# One per object whose record already matched: the cheap success of a repeated event or a
# backfill over objects already done.
resource "aws_cloudwatch_log_metric_filter" "objects_unchanged" {
  name           = "${var.name}-objects-unchanged"
  log_group_name = aws_cloudwatch_log_group.function.name
  pattern        = "{ $.fields.message = \"${local.already_recorded_log_message}\" }"

  metric_transformation {
    name          = local.objects_unchanged_metric
    namespace     = var.metrics_namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

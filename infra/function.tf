################################################################################
# The function, its extension layer, its log group and its trigger.
################################################################################

locals {
  # Set from this stack's variables and resources (extra_environment cannot override them).
  function_managed_environment = {
    # Read by the application (modules/application)
    IMAGEPIPE_OUTPUT_BUCKET    = aws_s3_bucket.this["output"].id
    IMAGEPIPE_RECORDS_TABLE    = aws_dynamodb_table.records.name
    IMAGEPIPE_OUTPUT_PREFIX    = local.output_prefix
    IMAGEPIPE_RENDITIONS       = var.renditions
    IMAGEPIPE_MIN_REMAINING_MS = tostring(var.min_remaining_ms)
    # Read by the extension (modules/extension)
    IMAGEPIPE_METRICS_NAMESPACE  = var.metrics_namespace
    IMAGEPIPE_METRICS_DIMENSIONS = var.metrics_dimensions
    IMAGEPIPE_ARCHITECTURE       = var.architecture
    # Read by the AWS SDK's trust roots (rustls-native-certs): provided.al2023's TLS bundle only.
    # Unset, it also scans /etc/ssl/certs and /etc/pki/tls/certs during init, for no root the
    # bundle lacks (docs/BENCHMARKS.md, cold start).
    SSL_CERT_FILE = "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"
  }
  function_environment = merge(var.extra_environment, local.function_managed_environment)
}

# Created before the function (logging_config names it), so Lambda never creates it without a
# retention.
resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_158:Logs are encrypted by CloudWatch Logs by default; a customer-managed KMS key costs per month and needs a key policy for the logs service.
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (default 30): a year of per-invocation logs is storage cost this starter does not impose.

  name              = local.log_group_name
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_layer_version" "extension" {
  layer_name               = "${var.name}-extension"
  description              = "imagepipe-extension: per-invocation metrics (CloudWatch EMF) from the Telemetry API."
  filename                 = module.extension_build.zip_path
  compatible_runtimes      = [local.lambda_runtime]
  compatible_architectures = [var.architecture]

  lifecycle {
    # A new layer version exactly when the extension's sources change (build.tf), published
    # before the function is pointed at it.
    create_before_destroy = true
    replace_triggered_by  = [terraform_data.extension_source]
  }
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_50:X-Ray needs xray:PutTraceSegments on Resource "*", which the role's no-wildcard rule forbids; the extension's EMF metrics and JSON logs cover latency.
  #checkov:skip=CKV_AWS_115:Concurrency is capped by the event source mapping's maximum_concurrency; var.reserved_concurrent_executions reserves some when wanted.
  #checkov:skip=CKV_AWS_116:Events come from SQS through an event source mapping (synchronous); failed messages go to the queue's dead-letter queue, a function DLQ only serves async invokes.
  #checkov:skip=CKV_AWS_117:The function only calls S3 and DynamoDB over their public endpoints (logs leave through Lambda); a VPC would add NAT or endpoint costs at rest for no isolation gain.
  #checkov:skip=CKV_AWS_173:The environment holds names and settings, no secrets; Lambda encrypts it at rest with an AWS managed key.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile and signed uploads; the zip is built locally from the reviewed source at apply time.

  function_name = local.function_name
  description   = "imagepipe: images from ${aws_s3_bucket.this["input"].id} to AVIF renditions in ${aws_s3_bucket.this["output"].id} and records in ${aws_dynamodb_table.records.name}."
  role          = aws_iam_role.function.arn

  runtime       = local.lambda_runtime
  handler       = local.lambda_handler
  architectures = [var.architecture]
  memory_size   = var.function_memory_mb
  timeout       = var.function_timeout_seconds

  # Built during apply by build.tf; the hash of the Rust sources (known at plan time) decides
  # when the code is uploaded again. Nothing reads the zip at plan time.
  filename         = module.function_build.zip_path
  source_code_hash = module.function_build.source_hash

  layers                         = [aws_lambda_layer_version.extension.arn]
  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = local.function_environment
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.function.name
    application_log_level = var.application_log_level
    system_log_level      = var.system_log_level
  }

  # The role's permissions exist before the first invocation can happen.
  depends_on = [aws_iam_role_policy.function]

  lifecycle {
    precondition {
      condition     = var.min_remaining_ms < var.function_timeout_seconds * 1000
      error_message = "min_remaining_ms must be below the function timeout, or the function would take no record at all."
    }
    precondition {
      condition     = var.min_remaining_ms >= local.min_remaining_floor_ms
      error_message = "min_remaining_ms must cover one SDK attempt's time limit (IMAGEPIPE_SDK_ATTEMPT_TIMEOUT_MS, 8000 ms by default) plus the 500 ms the function keeps to answer, or the function refuses to start."
    }
  }
}

resource "aws_lambda_function_recursion_config" "this" {
  function_name  = aws_lambda_function.this.function_name
  recursive_loop = local.recursive_loop
}

resource "aws_lambda_event_source_mapping" "events" {
  event_source_arn                   = aws_sqs_queue.events.arn
  function_name                      = aws_lambda_function.this.arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.batching_window_seconds
  function_response_types            = local.function_response_types

  scaling_config {
    maximum_concurrency = var.maximum_concurrency
  }

  # Lambda checks the role can read the queue when the mapping is created.
  depends_on = [aws_iam_role_policy.function]

  lifecycle {
    precondition {
      condition     = var.batch_size <= 10 || var.batching_window_seconds >= 1
      error_message = "batch_size above 10 needs batching_window_seconds of at least 1 (an SQS event source rule)."
    }
  }
}

# Constants of the contract with the application (modules/application, modules/extension) and
# values derived from variables alone. Keep this file free of resource and data references: the
# contract test (infra/tests/test_contract.py) evaluates it offline with `terraform console`.
locals {
  # The deployment package: the application's `bootstrap` binary on the OS-only runtime.
  lambda_runtime = "provided.al2023"
  # Custom runtimes ignore the handler; Lambda still wants one, and `bootstrap` is the convention.
  lambda_handler = "bootstrap"
  # The function refuses IMAGEPIPE_MIN_REMAINING_MS below one SDK attempt's time limit plus the
  # time it keeps to answer (application/src/function_config.rs: DEFAULT_ATTEMPT_TIMEOUT in
  # sdk_timeouts.rs, ANSWER_RESERVE in function.rs): the same floor here fails the plan instead of
  # every cold start.
  sdk_attempt_timeout_ms = tonumber(lookup(var.extra_environment, "IMAGEPIPE_SDK_ATTEMPT_TIMEOUT_MS", "8000"))
  answer_reserve_ms      = 500
  min_remaining_floor_ms = local.sdk_attempt_timeout_ms + local.answer_reserve_ms

  function_package  = "imagepipe-application"
  function_binary   = "bootstrap"
  extension_package = "imagepipe-extension"
  extension_binary  = "imagepipe-extension"

  # The records table's partition key: the application's GetItem/PutItem use it (string).
  records_table_hash_key      = "object_id"
  records_table_hash_key_type = "S"

  # S3 events that start the pipeline (every way an object gets created).
  input_events = ["s3:ObjectCreated:*"]

  # The function reports which messages of a batch failed; only those are retried.
  function_response_types = ["ReportBatchItemFailures"]

  # Loops through SQS/S3 are stopped by Lambda, not allowed.
  recursive_loop = "Terminate"

  # AWS's guidance for SQS event sources: visibility timeout >= 6x the function timeout (room for
  # the function's own retries on throttling), plus the batching window a message may wait in.
  visibility_timeout_multiplier    = 6
  queue_visibility_timeout_seconds = local.visibility_timeout_multiplier * var.function_timeout_seconds + var.batching_window_seconds
  # SQS long polling: fewer empty receives, the longest wait SQS allows.
  queue_receive_wait_seconds = 20

  # Encryption at rest that costs nothing at rest (see the checkov skips for the KMS variants).
  s3_sse_algorithm = "AES256"

  # The dead-letter queue alarm: any message visible in the DLQ, looked at every 5 minutes.
  dead_letter_alarm_period_seconds = 300
  dead_letter_alarm_threshold      = 0

  # Deny requests made without TLS, and TLS older than 1.2, on both buckets.
  minimum_tls_version = "1.2"

  function_name  = var.name
  log_group_name = "/aws/lambda/${var.name}"

  # The output prefix as the function reads it (trimmed, ending in "/"): the IAM grant and the
  # environment must name the same prefix.
  output_prefix = endswith(trimspace(var.output_prefix), "/") ? trimspace(var.output_prefix) : "${trimspace(var.output_prefix)}/"
}

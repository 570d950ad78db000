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

  # The sparse index on failed records (table.tf): keyed by the failure's kind, a top-level
  # string only failed records carry, and ordered by when the record was written. It projects
  # what a Batch Operations manifest needs (bucket, key, version) and why the object failed;
  # ops/failed-manifest.py queries it.
  failed_index_name                 = "failed-by-kind"
  failed_index_hash_key             = "failed_kind"
  failed_index_hash_key_type        = "S"
  failed_index_range_key            = "processed_at_ms"
  failed_index_range_key_type       = "N"
  failed_index_projected_attributes = ["bucket", "key", "version_id", "failure"]

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

  # S3 Batch Operations (backfill.tf): where the operator's manifests and the jobs' completion
  # reports live in the ops bucket, and the job's fixed settings. Schema 2.0 events name the
  # bucket (not its ARN) and may carry user arguments; the function accepts both schemas.
  batch_service_principal         = "batchoperations.s3.amazonaws.com"
  batch_manifest_prefix           = "batch-manifests/"
  batch_report_prefix             = "batch-reports/"
  batch_manifest_format           = "S3BatchOperations_CSV_20180820"
  batch_report_format             = "Report_CSV_20180820"
  batch_report_scope              = "AllTasks"
  batch_invocation_schema_version = "2.0"
  # Jobs of one account run in priority order; any non-negative number, higher first.
  batch_job_priority = 10

  # Metrics made from the function's own JSON log lines (metrics.tf): the line it logs per
  # record written ("recorded", with the record's status) and per object whose record already
  # matched ("already recorded"). The extension's EMF metrics carry no object counts.
  recorded_log_message         = "recorded"
  already_recorded_log_message = "already recorded"
  objects_recorded_metric      = "ObjectsRecorded"
  objects_unchanged_metric     = "ObjectsUnchanged"
  objects_failed_metric        = "ObjectsFailed"
  # The record status dimension's values: RecordStatus as the function's log line prints it.
  record_status_complete = "Complete"
  record_status_failed   = "Failed"

  # The extension's EMF metrics the dashboard shows (modules/extension/src/emf.rs; the contract
  # test renders a line with the extension's code and checks every name here is in it).
  extension_metrics = {
    cold_start     = "ColdStart"
    init_duration  = "InitDuration"
    duration       = "Duration"
    estimated_cost = "EstimatedCost"
    max_memory     = "MaxMemoryUsed"
  }

  # The alarms beside the dead-letter one (alarms.tf) look at 5-minute periods.
  alarm_period_seconds = 300

  # The extension's dimensions (IMAGEPIPE_METRICS_DIMENSIONS) as the map its EMF lines carry:
  # FunctionName and Architecture take the function's, Name=value entries are fixed (the value
  # may itself hold "="). The dashboard and alarms name the extension's metrics with it.
  metrics_dimension_entries = [for entry in split(",", var.metrics_dimensions) : trimspace(entry) if trimspace(entry) != ""]
  metrics_dimensions = {
    for entry in local.metrics_dimension_entries :
    (contains(["FunctionName", "Architecture"], entry) ? entry : trimspace(split("=", entry)[0])) => (
      entry == "FunctionName" ? local.function_name :
      entry == "Architecture" ? var.architecture :
      trimspace(join("=", slice(split("=", entry), 1, length(split("=", entry)))))
    )
  }

  # Deny requests made without TLS, and TLS older than 1.2, on every bucket.
  minimum_tls_version = "1.2"

  function_name  = var.name
  log_group_name = "/aws/lambda/${var.name}"

  # The output prefix as the function reads it (trimmed, ending in "/"): the IAM grant and the
  # environment must name the same prefix.
  output_prefix = endswith(trimspace(var.output_prefix), "/") ? trimspace(var.output_prefix) : "${trimspace(var.output_prefix)}/"
}

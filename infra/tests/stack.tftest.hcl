# The whole stack planned with a mock AWS provider: the invariants of the contract with the
# application, asserted on planned values for the default variables and for edge values.
# Plans only: the builds (terraform_data + local-exec in modules/rust-lambda-build) run at apply,
# so no run here starts cargo. ARNs and ids come from tests/mocks, known at plan time; policy
# documents naming resources are read during apply, so their JSON is unknown here (the contract
# test checks which document each policy attribute is given).
# Run: terraform -chdir=infra test (after init; dev/ci/infra-check.sh runs it without network).

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

run "defaults" {
  command = plan

  # The function ---------------------------------------------------------------------------------
  assert {
    condition = (
      aws_lambda_function.this.runtime == "provided.al2023" &&
      aws_lambda_function.this.handler == "bootstrap" &&
      tolist(aws_lambda_function.this.architectures) == tolist(["arm64"]) &&
      aws_lambda_function.this.memory_size == 3538 &&
      aws_lambda_function.this.timeout == 120 &&
      aws_lambda_function.this.function_name == "imagepipe"
    )
    error_message = "The function must be bootstrap on provided.al2023, arm64 by default, sized and named from the variables."
  }

  assert {
    condition     = aws_lambda_function.this.source_code_hash == module.function_build.source_hash
    error_message = "The function's source_code_hash must be the build module's hash of the Rust sources."
  }

  assert {
    condition     = tolist(aws_lambda_function.this.layers) == tolist([aws_lambda_layer_version.extension.arn])
    error_message = "The function must have exactly the extension layer."
  }

  assert {
    condition = toset(keys(one(aws_lambda_function.this.environment).variables)) == toset([
      "IMAGEPIPE_OUTPUT_BUCKET", "IMAGEPIPE_RECORDS_TABLE", "IMAGEPIPE_OUTPUT_PREFIX", "IMAGEPIPE_RENDITIONS",
      "IMAGEPIPE_MIN_REMAINING_MS", "IMAGEPIPE_METRICS_NAMESPACE", "IMAGEPIPE_METRICS_DIMENSIONS", "IMAGEPIPE_ARCHITECTURE",
      "SSL_CERT_FILE",
    ])
    error_message = "The function's environment must be exactly the variables the application, the extension and the SDK's trust roots read."
  }

  assert {
    condition = one(aws_lambda_function.this.environment).variables == tomap({
      IMAGEPIPE_OUTPUT_BUCKET      = aws_s3_bucket.this["output"].id
      IMAGEPIPE_RECORDS_TABLE      = aws_dynamodb_table.records.name
      IMAGEPIPE_OUTPUT_PREFIX      = "renditions/"
      IMAGEPIPE_RENDITIONS         = "thumb=320x320,display=1600x1600"
      IMAGEPIPE_MIN_REMAINING_MS   = "10000"
      IMAGEPIPE_METRICS_NAMESPACE  = "imagepipe"
      IMAGEPIPE_METRICS_DIMENSIONS = "FunctionName"
      IMAGEPIPE_ARCHITECTURE       = "arm64"
      SSL_CERT_FILE                = "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"
    })
    error_message = "The function's environment must name the output bucket and the table and carry the settings' defaults."
  }

  assert {
    condition = (
      one(aws_lambda_function.this.logging_config).log_format == "JSON" &&
      one(aws_lambda_function.this.logging_config).log_group == aws_cloudwatch_log_group.function.name &&
      aws_cloudwatch_log_group.function.name == "/aws/lambda/imagepipe" &&
      aws_cloudwatch_log_group.function.retention_in_days == 30
    )
    error_message = "The function must log JSON to its own /aws/lambda/<name> group, created with a retention."
  }

  assert {
    condition = (
      aws_lambda_function_recursion_config.this.function_name == aws_lambda_function.this.function_name &&
      aws_lambda_function_recursion_config.this.recursive_loop == "Terminate"
    )
    error_message = "Recursive loops through the function must be terminated."
  }

  assert {
    condition = (
      toset(aws_lambda_layer_version.extension.compatible_runtimes) == toset(["provided.al2023"]) &&
      toset(aws_lambda_layer_version.extension.compatible_architectures) == toset(["arm64"]) &&
      terraform_data.extension_source.input == module.extension_build.source_hash
    )
    error_message = "The extension layer must match the function's runtime and architecture and follow the extension's source hash."
  }

  assert {
    condition = (
      module.function_build.build_command == "cargo lambda build --release --arm64 --output-format zip -p imagepipe-application --bin bootstrap" &&
      module.extension_build.build_command == "cargo lambda build --release --arm64 --extension --output-format zip -p imagepipe-extension --bin imagepipe-extension"
    )
    error_message = "The builds must run the contract's cargo-lambda commands."
  }

  # The trigger ----------------------------------------------------------------------------------
  assert {
    condition = (
      toset(aws_lambda_event_source_mapping.events.function_response_types) == toset(["ReportBatchItemFailures"]) &&
      aws_lambda_event_source_mapping.events.event_source_arn == aws_sqs_queue.events.arn &&
      aws_lambda_event_source_mapping.events.function_name == aws_lambda_function.this.arn &&
      aws_lambda_event_source_mapping.events.batch_size == 5 &&
      aws_lambda_event_source_mapping.events.maximum_batching_window_in_seconds == 0 &&
      one(aws_lambda_event_source_mapping.events.scaling_config).maximum_concurrency == 10
    )
    error_message = "The event source mapping must report batch item failures and read the events queue into the function."
  }

  assert {
    condition     = aws_sqs_queue.events.visibility_timeout_seconds == 6 * aws_lambda_function.this.timeout
    error_message = "The queue's visibility timeout must be 6x the function timeout (plus the batching window, 0 here)."
  }

  assert {
    condition = (
      jsondecode(aws_sqs_queue.events.redrive_policy).deadLetterTargetArn == aws_sqs_queue.dead_letter.arn &&
      jsondecode(aws_sqs_queue.events.redrive_policy).maxReceiveCount == 5 &&
      aws_sqs_queue.events.receive_wait_time_seconds == 20 &&
      aws_sqs_queue.events.sqs_managed_sse_enabled && aws_sqs_queue.dead_letter.sqs_managed_sse_enabled
    )
    error_message = "The events queue must redrive to the dead-letter queue, long-poll, and both queues must be encrypted."
  }

  assert {
    condition = (
      aws_sqs_queue_redrive_allow_policy.dead_letter.queue_url == aws_sqs_queue.dead_letter.id &&
      jsondecode(aws_sqs_queue_redrive_allow_policy.dead_letter.redrive_allow_policy) == {
        redrivePermission = "byQueue"
        sourceQueueArns   = [aws_sqs_queue.events.arn]
      }
    )
    error_message = "Only the events queue may redrive into the dead-letter queue."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.dead_letter.namespace == "AWS/SQS" &&
      aws_cloudwatch_metric_alarm.dead_letter.metric_name == "ApproximateNumberOfMessagesVisible" &&
      aws_cloudwatch_metric_alarm.dead_letter.dimensions == tomap({ QueueName = aws_sqs_queue.dead_letter.name }) &&
      aws_cloudwatch_metric_alarm.dead_letter.comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.dead_letter.threshold == 0
    )
    error_message = "An alarm must fire on any message visible in the dead-letter queue."
  }

  assert {
    condition = (
      aws_s3_bucket_notification.input.bucket == aws_s3_bucket.this["input"].id &&
      length(aws_s3_bucket_notification.input.queue) == 1 &&
      one(aws_s3_bucket_notification.input.queue).queue_arn == aws_sqs_queue.events.arn &&
      toset(one(aws_s3_bucket_notification.input.queue).events) == toset(["s3:ObjectCreated:*"]) &&
      one(aws_s3_bucket_notification.input.queue).filter_prefix == null &&
      one(aws_s3_bucket_notification.input.queue).filter_suffix == null
    )
    error_message = "The input bucket must queue every created object (no filter by default)."
  }

  assert {
    condition = (
      length(data.aws_iam_policy_document.events_queue.statement) == 1 &&
      toset(one(data.aws_iam_policy_document.events_queue.statement).actions) == toset(["sqs:SendMessage"]) &&
      toset(one(data.aws_iam_policy_document.events_queue.statement).resources) == toset([aws_sqs_queue.events.arn]) &&
      jsonencode([for p in one(data.aws_iam_policy_document.events_queue.statement).principals : [p.type, sort(p.identifiers)]]) == jsonencode([["Service", ["s3.amazonaws.com"]]]) &&
      jsonencode({ for c in one(data.aws_iam_policy_document.events_queue.statement).condition : c.variable => [c.test, sort(c.values)] }) == jsonencode({
        "aws:SourceArn"     = ["ArnEquals", [aws_s3_bucket.this["input"].arn]]
        "aws:SourceAccount" = ["StringEquals", ["111122223333"]]
      }) &&
      aws_sqs_queue_policy.events.queue_url == aws_sqs_queue.events.id
    )
    error_message = "Only S3, for the input bucket of this account, may send to the events queue."
  }

  # The table ------------------------------------------------------------------------------------
  assert {
    condition = (
      aws_dynamodb_table.records.name == "imagepipe-records" &&
      aws_dynamodb_table.records.hash_key == "object_id" &&
      toset([for a in aws_dynamodb_table.records.attribute : "${a.name}:${a.type}"]) == toset(["object_id:S", "failed_kind:S", "processed_at_ms:N"]) &&
      aws_dynamodb_table.records.range_key == null &&
      aws_dynamodb_table.records.billing_mode == "PAY_PER_REQUEST" &&
      one(aws_dynamodb_table.records.point_in_time_recovery).enabled &&
      one(aws_dynamodb_table.records.server_side_encryption).enabled &&
      aws_dynamodb_table.records.deletion_protection_enabled
    )
    error_message = "The records table must be keyed by object_id (string, no sort key), on demand, recoverable, encrypted and protected, and define exactly the attributes its keys and index keys use."
  }

  assert {
    condition = (
      length(aws_dynamodb_table.records.global_secondary_index) == 1 &&
      one(aws_dynamodb_table.records.global_secondary_index).name == "failed-by-kind" &&
      one(aws_dynamodb_table.records.global_secondary_index).hash_key == "failed_kind" &&
      one(aws_dynamodb_table.records.global_secondary_index).range_key == "processed_at_ms" &&
      one(aws_dynamodb_table.records.global_secondary_index).projection_type == "INCLUDE" &&
      toset(one(aws_dynamodb_table.records.global_secondary_index).non_key_attributes) == toset(["bucket", "key", "version_id", "failure"]) &&
      output.failed_records_index_name == "failed-by-kind"
    )
    error_message = "The table must have one index, on failed records by failed_kind and processed_at_ms, projecting what a Batch Operations manifest needs (bucket, key, version_id) and the failure."
  }

  # The buckets ----------------------------------------------------------------------------------
  assert {
    condition = (
      toset(keys(aws_s3_bucket.this)) == toset(["input", "output", "ops"]) &&
      aws_s3_bucket.this["input"].bucket_prefix == "imagepipe-input-" &&
      aws_s3_bucket.this["output"].bucket_prefix == "imagepipe-output-" &&
      aws_s3_bucket.this["ops"].bucket_prefix == "imagepipe-ops-" &&
      alltrue([for bucket in aws_s3_bucket.this : !bucket.force_destroy])
    )
    error_message = "There must be an input, an output and an ops bucket, named from var.name, kept on destroy by default."
  }

  assert {
    condition = alltrue([
      for hardening in [
        aws_s3_bucket_public_access_block.this, aws_s3_bucket_ownership_controls.this,
        aws_s3_bucket_server_side_encryption_configuration.this, aws_s3_bucket_versioning.this,
        aws_s3_bucket_lifecycle_configuration.this, aws_s3_bucket_policy.this,
      ] : toset(keys(hardening)) == toset(keys(aws_s3_bucket.this)) && alltrue([for key, resource in hardening : resource.bucket == aws_s3_bucket.this[key].id])
    ])
    error_message = "Every hardening resource must cover every bucket."
  }

  assert {
    condition = alltrue([
      for block in aws_s3_bucket_public_access_block.this :
      block.block_public_acls && block.block_public_policy && block.ignore_public_acls && block.restrict_public_buckets
    ])
    error_message = "Every bucket must block every kind of public access."
  }

  assert {
    condition = (
      alltrue([for controls in aws_s3_bucket_ownership_controls.this : one(controls.rule).object_ownership == "BucketOwnerEnforced"]) &&
      alltrue([for sse in aws_s3_bucket_server_side_encryption_configuration.this : one(one(sse.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"]) &&
      alltrue([for versioning in aws_s3_bucket_versioning.this : one(versioning.versioning_configuration).status == "Enabled"])
    )
    error_message = "Every bucket must disable ACLs, encrypt at rest and keep versions."
  }

  assert {
    condition = alltrue([
      for key, lifecycle in aws_s3_bucket_lifecycle_configuration.this :
      { for rule in lifecycle.rule : rule.id => rule.status if startswith(rule.id, "abort-") || startswith(rule.id, "expire-noncurrent-") } == {
        "abort-incomplete-multipart-uploads" = "Enabled"
        "expire-noncurrent-versions"         = "Enabled"
      } &&
      [for rule in lifecycle.rule : one(rule.abort_incomplete_multipart_upload).days_after_initiation if rule.id == "abort-incomplete-multipart-uploads"] == [7] &&
      [for rule in lifecycle.rule : one(rule.noncurrent_version_expiration).noncurrent_days if rule.id == "expire-noncurrent-versions"] == [30]
    ])
    error_message = "Every bucket must abort stale multipart uploads and expire noncurrent versions."
  }

  assert {
    condition = (
      [for rule in aws_s3_bucket_lifecycle_configuration.this["input"].rule : rule.id] == ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions"] &&
      [for rule in aws_s3_bucket_lifecycle_configuration.this["output"].rule : rule.id] == ["abort-incomplete-multipart-uploads", "expire-noncurrent-versions"] &&
      { for rule in aws_s3_bucket_lifecycle_configuration.this["ops"].rule : one(rule.filter).prefix => one(rule.expiration).days if startswith(rule.id, "expire-batch-") } == {
        "batch-manifests/" = 30
        "batch-reports/"   = 30
      }
    )
    error_message = "Only the ops bucket's manifests and reports expire (after batch_files_expiration_days); images and renditions never do."
  }

  assert {
    condition = alltrue([
      for key, bucket in aws_s3_bucket.this :
      jsonencode({ for s in data.aws_iam_policy_document.bucket_tls_only[key].statement : s.sid => {
        effect     = s.effect
        actions    = sort(s.actions)
        resources  = sort(s.resources)
        principals = [for p in s.principals : [p.type, sort(p.identifiers)]]
        conditions = [for c in s.condition : [c.test, c.variable, sort(c.values)]]
        } }) == jsonencode({
        DenyInsecureTransport = {
          effect     = "Deny"
          actions    = ["s3:*"]
          resources  = sort([bucket.arn, "${bucket.arn}/*"])
          principals = [["*", ["*"]]]
          conditions = [["Bool", "aws:SecureTransport", ["false"]]]
        }
        DenyOutdatedTls = {
          effect     = "Deny"
          actions    = ["s3:*"]
          resources  = sort([bucket.arn, "${bucket.arn}/*"])
          principals = [["*", ["*"]]]
          conditions = [["NumericLessThan", "s3:TlsVersion", ["1.2"]]]
        }
      })
    ])
    error_message = "Every bucket's policy must deny requests without TLS and with TLS older than 1.2."
  }

  # IAM ------------------------------------------------------------------------------------------
  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.function.statement : [for pair in setproduct(s.actions, s.resources) : join(" ", pair)]
      ])) == toset([
      "logs:CreateLogStream ${aws_cloudwatch_log_group.function.arn}:*",
      "logs:PutLogEvents ${aws_cloudwatch_log_group.function.arn}:*",
      "s3:GetObject ${aws_s3_bucket.this["input"].arn}/*",
      "s3:GetObjectVersion ${aws_s3_bucket.this["input"].arn}/*",
      "s3:ListBucket ${aws_s3_bucket.this["input"].arn}",
      "s3:PutObject ${aws_s3_bucket.this["output"].arn}/renditions/*",
      "dynamodb:GetItem ${aws_dynamodb_table.records.arn}",
      "dynamodb:PutItem ${aws_dynamodb_table.records.arn}",
      "sqs:ReceiveMessage ${aws_sqs_queue.events.arn}",
      "sqs:DeleteMessage ${aws_sqs_queue.events.arn}",
      "sqs:GetQueueAttributes ${aws_sqs_queue.events.arn}",
      "sqs:ChangeMessageVisibility ${aws_sqs_queue.events.arn}",
    ])
    error_message = "The function's policy must grant exactly the least-privilege (action, resource) set."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.function.statement :
      (s.effect == null || s.effect == "Allow") && try(length(s.not_actions), 0) == 0 && try(length(s.not_resources), 0) == 0 &&
      length(s.principals) == 0 && length(s.condition) == 0 && alltrue([for action in s.actions : !strcontains(action, "*")])
    ])
    error_message = "The function's policy must only allow, with no NotAction/NotResource, principal, condition or wildcard action."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.function.statement :
      length(setsubtract(toset(s.actions), toset(["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]))) == 0
      if anytrue([for resource in s.resources : startswith(resource, aws_s3_bucket.this["input"].arn)])
    ])
    error_message = "The function must not write to the input bucket (its own writes would trigger it)."
  }

  assert {
    condition = (
      jsonencode([for s in data.aws_iam_policy_document.function_assume_role.statement : {
        actions    = sort(s.actions)
        principals = [for p in s.principals : [p.type, sort(p.identifiers)]]
        }]) == jsonencode([{
        actions    = ["sts:AssumeRole"]
        principals = [["Service", ["lambda.amazonaws.com"]]]
      }]) &&
      aws_iam_role_policy.function.role == aws_iam_role.function.id
    )
    error_message = "Only Lambda may assume the function's role, and the role gets the function's policy."
  }
  # Backfill: the role S3 Batch Operations assumes, and the command that starts a job -----------
  assert {
    condition = (
      jsonencode([for s in data.aws_iam_policy_document.batch_operations_assume_role.statement : {
        actions    = sort(s.actions)
        principals = [for p in s.principals : [p.type, sort(p.identifiers)]]
        }]) == jsonencode([{
        actions    = ["sts:AssumeRole"]
        principals = [["Service", ["batchoperations.s3.amazonaws.com"]]]
      }]) &&
      aws_iam_role_policy.batch_operations.role == aws_iam_role.batch_operations.id
    )
    error_message = "Only S3 Batch Operations may assume the batch role, and the role gets its own policy."
  }

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.batch_operations.statement : [for pair in setproduct(s.actions, s.resources) : join(" ", pair)]
      ])) == toset([
      "lambda:InvokeFunction ${aws_lambda_function.this.arn}",
      "s3:GetObject ${aws_s3_bucket.this["ops"].arn}/batch-manifests/*",
      "s3:GetObjectVersion ${aws_s3_bucket.this["ops"].arn}/batch-manifests/*",
      "s3:PutObject ${aws_s3_bucket.this["ops"].arn}/batch-reports/*",
      "s3:GetBucketLocation ${aws_s3_bucket.this["ops"].arn}",
    ])
    error_message = "The batch role must invoke only this function, read only manifests and write only reports, in the ops bucket."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.batch_operations.statement :
      (s.effect == null || s.effect == "Allow") && try(length(s.not_actions), 0) == 0 && try(length(s.not_resources), 0) == 0 &&
      length(s.principals) == 0 && alltrue([for action in s.actions : !strcontains(action, "*")]) &&
      !anytrue([for resource in s.resources : startswith(resource, aws_s3_bucket.this["input"].arn) || startswith(resource, aws_s3_bucket.this["output"].arn)])
    ])
    error_message = "The batch role must only allow, with no wildcard action, and never touch the input or output bucket (a report there could trigger the function)."
  }

  assert {
    condition = (
      jsondecode(local.batch_job_operation) == {
        LambdaInvoke = { FunctionArn = aws_lambda_function.this.arn, InvocationSchemaVersion = "2.0" }
      } &&
      jsondecode(local.batch_job_report) == {
        Bucket = aws_s3_bucket.this["ops"].arn, Format = "Report_CSV_20180820", Enabled = true, Prefix = "batch-reports", ReportScope = "AllTasks"
      } &&
      strcontains(output.backfill_commands, "aws s3control create-job --region eu-west-1 --account-id 111122223333 \\\n") &&
      strcontains(output.backfill_commands, "--role-arn ${aws_iam_role.batch_operations.arn} --priority 10 --no-confirmation-required") &&
      strcontains(output.backfill_commands, "--operation '${local.batch_job_operation}'") &&
      strcontains(output.backfill_commands, "--manifest file://job-manifest.json") &&
      strcontains(output.backfill_commands, "--report '${local.batch_job_report}'") &&
      strcontains(output.backfill_commands, "python3 ops/backfill-manifest.py --bucket ${aws_s3_bucket.this["input"].id} --prefix '' --suffix '' --region eu-west-1") &&
      strcontains(output.backfill_commands, "--upload 's3://${aws_s3_bucket.this["ops"].id}/batch-manifests/backfill.csv' --job-manifest job-manifest.json")
    )
    error_message = "backfill_commands must write the manifest into the ops bucket and start a LambdaInvoke (schema 2.0) job with the batch role, reporting every task under batch-reports."
  }

  # The operator's view -----------------------------------------------------------------------------
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.backlog.namespace == "AWS/SQS" &&
      aws_cloudwatch_metric_alarm.backlog.metric_name == "ApproximateAgeOfOldestMessage" &&
      aws_cloudwatch_metric_alarm.backlog.dimensions == tomap({ QueueName = aws_sqs_queue.events.name }) &&
      aws_cloudwatch_metric_alarm.backlog.statistic == "Maximum" &&
      aws_cloudwatch_metric_alarm.backlog.comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.backlog.threshold == 900 &&
      aws_cloudwatch_metric_alarm.backlog.treat_missing_data == "notBreaching"
    )
    error_message = "The backlog alarm must fire when the events queue's oldest message is older than backlog_alarm_age_seconds."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.failed_records.namespace == "imagepipe" &&
      aws_cloudwatch_metric_alarm.failed_records.metric_name == aws_cloudwatch_log_metric_filter.objects_recorded.metric_transformation[0].name &&
      aws_cloudwatch_metric_alarm.failed_records.dimensions == tomap({ Status = "Failed" }) &&
      aws_cloudwatch_metric_alarm.failed_records.statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.failed_records.comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.failed_records.threshold == 10 &&
      aws_cloudwatch_metric_alarm.failed_records.treat_missing_data == "notBreaching"
    )
    error_message = "The failed-records alarm must count failed records (the objects_recorded filter's metric, Status = Failed) against failed_records_alarm_threshold."
  }

  assert {
    condition = alltrue([
      for filter in [aws_cloudwatch_log_metric_filter.objects_recorded, aws_cloudwatch_log_metric_filter.objects_unchanged, aws_cloudwatch_log_metric_filter.objects_failed] :
      filter.log_group_name == aws_cloudwatch_log_group.function.name && one(filter.metric_transformation).namespace == "imagepipe"
      ]) && (
      aws_cloudwatch_log_metric_filter.objects_recorded.pattern == "{ $.fields.message = \"recorded\" }" &&
      one(aws_cloudwatch_log_metric_filter.objects_recorded.metric_transformation).name == "ObjectsRecorded" &&
      one(aws_cloudwatch_log_metric_filter.objects_recorded.metric_transformation).dimensions == tomap({ Status = "$.fields.status" }) &&
      aws_cloudwatch_log_metric_filter.objects_failed.pattern == "{ $.fields.message = \"recorded\" && $.fields.status = \"Failed\" }" &&
      one(aws_cloudwatch_log_metric_filter.objects_failed.metric_transformation).name == "ObjectsFailed" &&
      one(aws_cloudwatch_log_metric_filter.objects_failed.metric_transformation).dimensions == tomap({ Kind = "$.fields.failure_kind" }) &&
      aws_cloudwatch_log_metric_filter.objects_unchanged.pattern == "{ $.fields.message = \"already recorded\" }" &&
      one(aws_cloudwatch_log_metric_filter.objects_unchanged.metric_transformation).name == "ObjectsUnchanged"
    )
    error_message = "The function's recorded / already recorded log lines must become ObjectsRecorded (by status) and ObjectsUnchanged in the extension's namespace."
  }

  assert {
    condition = alltrue([
      for alarm in [aws_cloudwatch_metric_alarm.dead_letter, aws_cloudwatch_metric_alarm.backlog, aws_cloudwatch_metric_alarm.failed_records] :
      length(alarm.alarm_actions) == 0 && length(alarm.ok_actions) == 0
    ])
    error_message = "With no alarm_actions, no alarm notifies anything."
  }

  assert {
    condition = (
      aws_cloudwatch_dashboard.pipeline.dashboard_name == "imagepipe-pipeline" &&
      strcontains(output.dashboard_url, "#dashboards/dashboard/imagepipe-pipeline")
    )
    error_message = "The dashboard must be named from var.name and linked from the outputs."
  }

  assert {
    # Every metric the dashboard graphs, as [namespace, name, dimensions...] without the options.
    condition = toset(flatten([
      for widget in jsondecode(aws_cloudwatch_dashboard.pipeline.dashboard_body).widgets : [
        for metric in try(widget.properties.metrics, []) : join(" ", [for part in metric : part if can(tostring(part))])
        if can(tostring(metric[0]))
      ]
      ])) == toset([
      "imagepipe ObjectsRecorded Status Complete",
      "imagepipe ObjectsRecorded Status Failed",
      "imagepipe ObjectsUnchanged",
      "AWS/SQS ApproximateNumberOfMessagesVisible QueueName ${aws_sqs_queue.events.name}",
      "AWS/SQS ApproximateNumberOfMessagesNotVisible QueueName ${aws_sqs_queue.events.name}",
      "AWS/SQS ApproximateAgeOfOldestMessage QueueName ${aws_sqs_queue.events.name}",
      "AWS/Lambda Invocations FunctionName imagepipe",
      "imagepipe ColdStart FunctionName imagepipe",
      "imagepipe InitDuration FunctionName imagepipe",
      "imagepipe Duration FunctionName imagepipe",
      "imagepipe MaxMemoryUsed FunctionName imagepipe",
      "imagepipe EstimatedCost FunctionName imagepipe",
      "AWS/Lambda Errors FunctionName imagepipe",
      "AWS/Lambda Throttles FunctionName imagepipe",
      "AWS/SQS ApproximateNumberOfMessagesVisible QueueName ${aws_sqs_queue.dead_letter.name}",
    ])
    error_message = "The dashboard must graph objects recorded and failed, cold starts, duration, memory and cost (the extension's dimensions), the queue's depth and oldest age, the DLQ's depth, and the function's errors and throttles."
  }

  assert {
    condition = (
      [for widget in jsondecode(aws_cloudwatch_dashboard.pipeline.dashboard_body).widgets : widget.properties.alarms if widget.type == "alarm"] == [[
        aws_cloudwatch_metric_alarm.dead_letter.arn, aws_cloudwatch_metric_alarm.backlog.arn, aws_cloudwatch_metric_alarm.failed_records.arn,
      ]] &&
      length([
        for widget in jsondecode(aws_cloudwatch_dashboard.pipeline.dashboard_body).widgets : true
        if strcontains(jsonencode(widget), "cost / (FILL(complete, 0) + FILL(failed, 0))")
      ]) == 1
    )
    error_message = "The dashboard must show the three alarms and the cost per image recorded."
  }
}

run "operator_settings" {
  command = plan

  variables {
    metrics_namespace              = "media"
    metrics_dimensions             = "FunctionName, Architecture, Stage=prod=blue"
    alarm_actions                  = ["arn:aws:sns:eu-west-1:111122223333:oncall"]
    backlog_alarm_age_seconds      = 120
    failed_records_alarm_threshold = 0
    batch_files_expiration_days    = 7
    input_prefix                   = "uploads/"
    input_suffix                   = ".jpg"
  }

  assert {
    condition = alltrue([
      for alarm in [aws_cloudwatch_metric_alarm.dead_letter, aws_cloudwatch_metric_alarm.backlog, aws_cloudwatch_metric_alarm.failed_records] :
      alarm.alarm_actions == toset(["arn:aws:sns:eu-west-1:111122223333:oncall"]) && alarm.ok_actions == toset(["arn:aws:sns:eu-west-1:111122223333:oncall"])
    ])
    error_message = "Every alarm must notify alarm_actions when it fires and when it clears."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.backlog.threshold == 120 &&
      aws_cloudwatch_metric_alarm.failed_records.threshold == 0 &&
      aws_cloudwatch_metric_alarm.failed_records.namespace == "media"
    )
    error_message = "The alarms' thresholds and namespace must follow the variables."
  }

  assert {
    condition     = strcontains(aws_cloudwatch_dashboard.pipeline.dashboard_body, trimsuffix(jsonencode(["media", "Duration", "Architecture", "arm64", "FunctionName", "imagepipe", "Stage", "prod=blue"]), "]"))
    error_message = "The dashboard must name the extension's metrics with the dimensions metrics_dimensions gives them (a value may hold \"=\")."
  }

  assert {
    condition     = alltrue([for rule in aws_s3_bucket_lifecycle_configuration.this["ops"].rule : one(rule.expiration).days == 7 if startswith(rule.id, "expire-batch-")])
    error_message = "batch_files_expiration_days must expire the manifests and reports."
  }

  assert {
    condition     = strcontains(output.backfill_commands, "--prefix 'uploads/' --suffix '.jpg'")
    error_message = "The backfill manifest must cover what the notification lets through (input_prefix, input_suffix)."
  }
}

run "no_metric_dimensions" {
  command = plan

  variables {
    metrics_dimensions = ""
  }

  assert {
    condition     = strcontains(aws_cloudwatch_dashboard.pipeline.dashboard_body, jsonencode(["imagepipe", "ColdStart", { label = "cold starts", stat = "Sum" }]))
    error_message = "With no dimension, the dashboard must name the extension's metrics by namespace and name alone."
  }
}

run "x86_64" {
  command = plan

  variables {
    architecture = "x86_64"
  }

  assert {
    condition = (
      tolist(aws_lambda_function.this.architectures) == tolist(["x86_64"]) &&
      toset(aws_lambda_layer_version.extension.compatible_architectures) == toset(["x86_64"]) &&
      one(aws_lambda_function.this.environment).variables["IMAGEPIPE_ARCHITECTURE"] == "x86_64"
    )
    error_message = "architecture must reach the function, the layer and the extension's environment."
  }

  assert {
    condition = (
      module.function_build.build_command == "cargo lambda build --release --x86-64 --output-format zip -p imagepipe-application --bin bootstrap" &&
      module.extension_build.build_command == "cargo lambda build --release --x86-64 --extension --output-format zip -p imagepipe-extension --bin imagepipe-extension"
    )
    error_message = "x86_64 must build both zips with --x86-64."
  }
}

run "longest_name" {
  command = plan

  variables {
    name = "a2345678901234567890123456789" # 29 characters, the most var.name allows
  }

  assert {
    # The AWS provider caps bucket_prefix at 37 characters (63 minus its 26-character suffix).
    condition     = alltrue([for bucket in aws_s3_bucket.this : length(bucket.bucket_prefix) <= 37])
    error_message = "The longest allowed name must still give bucket prefixes of at most 37 characters."
  }

  assert {
    condition = (
      aws_lambda_function.this.function_name == var.name && length(aws_lambda_function.this.function_name) <= 64 &&
      length(aws_iam_role.function.name) <= 64 && length(aws_iam_role_policy.function.name) <= 128 &&
      aws_cloudwatch_log_group.function.name == "/aws/lambda/${var.name}" &&
      length(aws_sqs_queue.dead_letter.name) <= 80 && length(aws_dynamodb_table.records.name) <= 255
    )
    error_message = "Every name derived from the longest allowed name must fit its AWS limit."
  }
}

run "prefixes_and_suffixes" {
  command = plan

  variables {
    input_prefix  = "uploads/"
    input_suffix  = ".jpg"
    output_prefix = "avif/"
  }

  assert {
    condition = (
      one(aws_s3_bucket_notification.input.queue).filter_prefix == "uploads/" &&
      one(aws_s3_bucket_notification.input.queue).filter_suffix == ".jpg"
    )
    error_message = "input_prefix and input_suffix must filter the input bucket's notification."
  }

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.function.statement : [for pair in setproduct(s.actions, s.resources) : join(" ", pair)]
      if length(regexall("^s3:", join(",", s.actions))) > 0
      ])) == toset([
      "s3:GetObject ${aws_s3_bucket.this["input"].arn}/uploads/*",
      "s3:GetObjectVersion ${aws_s3_bucket.this["input"].arn}/uploads/*",
      "s3:ListBucket ${aws_s3_bucket.this["input"].arn}",
      "s3:PutObject ${aws_s3_bucket.this["output"].arn}/avif/*",
    ])
    error_message = "The function may read only under input_prefix (and list the input bucket, so a deleted key reads as 404) and write only under output_prefix."
  }

  assert {
    condition     = one(aws_lambda_function.this.environment).variables["IMAGEPIPE_OUTPUT_PREFIX"] == "avif/"
    error_message = "output_prefix must reach the application."
  }

  assert {
    condition     = strcontains(output.try_it, "s3://${aws_s3_bucket.this["input"].id}/uploads/try/astronaut.jpg'")
    error_message = "The try_it upload key must be under input_prefix and pass the suffix filter."
  }
}

run "extra_environment" {
  command = plan

  variables {
    extra_environment = {
      IMAGEPIPE_AVIF_QUALITY = "70"
    }
  }

  assert {
    condition = (
      one(aws_lambda_function.this.environment).variables["IMAGEPIPE_AVIF_QUALITY"] == "70" &&
      length(one(aws_lambda_function.this.environment).variables) == 10 &&
      one(aws_lambda_function.this.environment).variables["IMAGEPIPE_OUTPUT_BUCKET"] == aws_s3_bucket.this["output"].id
    )
    error_message = "extra_environment must add its variables next to the managed ones."
  }
}

run "longest_timeout_and_batching_window" {
  command = plan

  variables {
    function_timeout_seconds = 900
    batching_window_seconds  = 300
  }

  assert {
    condition = (
      aws_sqs_queue.events.visibility_timeout_seconds >= 6 * aws_lambda_function.this.timeout + aws_lambda_event_source_mapping.events.maximum_batching_window_in_seconds &&
      aws_sqs_queue.events.visibility_timeout_seconds <= 43200
    )
    error_message = "The visibility timeout must cover 6x the function timeout plus the batching window, within SQS's 12 hours."
  }
}

run "shortest_timeout" {
  command = plan

  variables {
    # The shortest timeout that leaves room for one SDK attempt and the answer.
    function_timeout_seconds = 9
    min_remaining_ms         = 8500
  }

  assert {
    condition     = aws_sqs_queue.events.visibility_timeout_seconds >= 6 * aws_lambda_function.this.timeout
    error_message = "The visibility timeout must be at least 6x the function timeout."
  }
}

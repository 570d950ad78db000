locals {
  # A bundled sample (repository root relative) and the key it is uploaded under: inside the
  # input prefix and ending with the input suffix, so the notification filter lets it through.
  try_sample_file = "samples/images/astronaut.jpg"
  try_key         = "${var.input_prefix}try/astronaut.jpg${endswith("astronaut.jpg", var.input_suffix) ? "" : var.input_suffix}"
  try_region      = data.aws_region.current.region
}

data "aws_region" "current" {}

output "input_bucket_name" {
  description = "Bucket to upload images to (under input_prefix, ending with input_suffix)."
  value       = aws_s3_bucket.this["input"].id
}

output "output_bucket_name" {
  description = "Bucket the AVIF renditions are written to, under output_prefix."
  value       = aws_s3_bucket.this["output"].id
}

output "records_table_name" {
  description = "DynamoDB table holding one record per input object (partition key object_id)."
  value       = aws_dynamodb_table.records.name
}

output "function_name" {
  description = "The Lambda function's name."
  value       = aws_lambda_function.this.function_name
}

output "function_log_group_name" {
  description = "CloudWatch log group of the function (and of the extension's metric lines)."
  value       = aws_cloudwatch_log_group.function.name
}

output "events_queue_url" {
  description = "SQS queue between the input bucket and the function."
  value       = aws_sqs_queue.events.url
}

output "dead_letter_queue_url" {
  description = "Dead-letter queue: messages the function failed max_receive_count times (alarmed)."
  value       = aws_sqs_queue.dead_letter.url
}

output "extension_layer_arn" {
  description = "ARN (with version) of the metrics extension layer attached to the function."
  value       = aws_lambda_layer_version.extension.arn
}

output "function_source_hash" {
  description = "Hash of the Rust sources the deployed function was built from (changes exactly when the code is rebuilt)."
  value       = module.function_build.source_hash
}

output "try_it" {
  description = "Paste from the repository root: upload a sample, wait, list its renditions and read the records."
  value       = <<-EOT
    aws s3 cp ${local.try_sample_file} 's3://${aws_s3_bucket.this["input"].id}/${local.try_key}' --region ${local.try_region}
    sleep 20
    aws s3 ls 's3://${aws_s3_bucket.this["output"].id}/${local.output_prefix}' --recursive --region ${local.try_region}
    aws dynamodb scan --table-name ${aws_dynamodb_table.records.name} --max-items 5 --region ${local.try_region}
    aws logs tail ${aws_cloudwatch_log_group.function.name} --since 5m --region ${local.try_region}
  EOT
}

output "upload_command" {
  description = "Paste from the repository root: the single `aws s3 cp` that sends a sample image through the pipeline."
  value       = "aws s3 cp ${local.try_sample_file} 's3://${aws_s3_bucket.this["input"].id}/${local.try_key}' --region ${local.try_region}"
}

output "ops_bucket_name" {
  description = "Bucket of the operator's files: S3 Batch Operations manifests (under batch-manifests/) and completion reports (under batch-reports/)."
  value       = aws_s3_bucket.this["ops"].id
}

output "batch_operations_role_arn" {
  description = "Role S3 Batch Operations jobs assume: invoke the function, read manifests, write reports."
  value       = aws_iam_role.batch_operations.arn
}

output "failed_records_index_name" {
  description = "Sparse index of the records table holding only failed records, keyed by failed_kind and ordered by processed_at_ms."
  value       = local.failed_index_name
}

output "backfill_commands" {
  description = "Paste from the repository root: a manifest of every object under input_prefix, uploaded to the ops bucket, then the S3 Batch Operations job that runs the function over it (README: Backfill and reprocess)."
  value       = <<-EOT
    python3 ops/backfill-manifest.py --bucket ${aws_s3_bucket.this["input"].id} --prefix '${var.input_prefix}' --suffix '${var.input_suffix}' --region ${local.try_region} \
      --upload 's3://${aws_s3_bucket.this["ops"].id}/${local.batch_manifest_prefix}backfill.csv' --job-manifest job-manifest.json
    aws s3control create-job --region ${local.try_region} --account-id ${data.aws_caller_identity.current.account_id} \
      --role-arn ${aws_iam_role.batch_operations.arn} --priority ${local.batch_job_priority} --no-confirmation-required \
      --description '${var.name} backfill' \
      --operation '${local.batch_job_operation}' \
      --manifest file://job-manifest.json \
      --report '${local.batch_job_report}'
  EOT
}

output "dashboard_url" {
  description = "The pipeline's CloudWatch dashboard: objects recorded and failed, cold starts, duration, cost per image, queue, dead letters, errors, alarms."
  value       = "https://${local.try_region}.console.aws.amazon.com/cloudwatch/home?region=${local.try_region}#dashboards/dashboard/${aws_cloudwatch_dashboard.pipeline.dashboard_name}"
}

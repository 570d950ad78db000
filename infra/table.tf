################################################################################
# Records: one item per input object, keyed as the application reads and writes it.
################################################################################

resource "aws_dynamodb_table" "records" {
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS managed key (server_side_encryption enabled); a customer-managed key costs per month and the stack aims at nothing but storage at rest.

  name         = "${var.name}-records"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = local.records_table_hash_key

  attribute {
    name = local.records_table_hash_key
    type = local.records_table_hash_key_type
  }

  attribute {
    name = local.failed_index_hash_key
    type = local.failed_index_hash_key_type
  }

  attribute {
    name = local.failed_index_range_key
    type = local.failed_index_range_key_type
  }

  # Sparse: only failed records carry failed_kind, so the index holds the failures alone and a
  # query by kind (newest first with --no-scan-index-forward) reads nothing else. It projects
  # what a Batch Operations manifest and the operator need; the function never reads it.
  global_secondary_index {
    name               = local.failed_index_name
    hash_key           = local.failed_index_hash_key
    range_key          = local.failed_index_range_key
    projection_type    = "INCLUDE"
    non_key_attributes = local.failed_index_projected_attributes
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  deletion_protection_enabled = var.table_deletion_protection
}

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

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  deletion_protection_enabled = var.table_deletion_protection
}

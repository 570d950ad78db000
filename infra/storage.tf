################################################################################
# Buckets: images come in through `input`, renditions go out to `output`. Two buckets, so the
# function's writes can never trigger it (the notification is on `input` only, and the
# function's role cannot write there). A third, `ops`, holds the operator's files: S3 Batch
# Operations manifests and completion reports (backfill.tf), which must never land where the
# input bucket notifies, and which expire on their own.
################################################################################

locals {
  # Bucket role => its Purpose tag (S3 tag values allow letters, digits, spaces and + - = . _ : / @).
  buckets = {
    input  = "images to convert - each new object is queued for the function"
    output = "AVIF renditions written by the function under the output prefix"
    ops    = "S3 Batch Operations manifests and completion reports - no notification"
  }
}

resource "aws_s3_bucket" "this" {
  for_each = local.buckets
  #checkov:skip=CKV_AWS_18:Server access logging needs a third bucket and costs per request; CloudTrail data events are the audit option when needed.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage; renditions can be regenerated from the inputs and the inputs are versioned.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) keeps the stack free at rest; a customer-managed KMS key costs per month and needs key policies for S3, SQS and the function.
  #checkov:skip=CKV2_AWS_62:Only the input bucket notifies (storage.tf aws_s3_bucket_notification.input); notifications on the output bucket would be noise.

  bucket_prefix = "${var.name}-${each.key}-"
  force_destroy = var.force_destroy_buckets

  tags = {
    Purpose = each.value
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = local.s3_sse_algorithm
    }
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    # Every object. `prefix = ""` rather than an empty block: recent 5.x/6.x providers warn on
    # `filter {}`.
    filter {
      prefix = ""
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {
      prefix = ""
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    # Delete markers left alone once their last noncurrent version has expired.
    expiration {
      expired_object_delete_marker = true
    }
  }

  # Manifests and reports are working files of one job: they expire (then their noncurrent
  # versions, by the rule above). Images and renditions never do.
  dynamic "rule" {
    for_each = each.key == "ops" ? [local.batch_manifest_prefix, local.batch_report_prefix] : []

    content {
      id     = "expire-${trimsuffix(rule.value, "/")}"
      status = "Enabled"

      filter {
        prefix = rule.value
      }

      expiration {
        days = var.batch_files_expiration_days
      }
    }
  }

  # Lifecycle rules on versions need versioning set first.
  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "bucket_tls_only" {
  for_each = local.buckets

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this[each.key].arn,
      "${aws_s3_bucket.this[each.key].arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid     = "DenyOutdatedTls"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this[each.key].arn,
      "${aws_s3_bucket.this[each.key].arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = [local.minimum_tls_version]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  policy = data.aws_iam_policy_document.bucket_tls_only[each.key].json

  # S3 refuses concurrent configuration changes on one bucket; the public access block first.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

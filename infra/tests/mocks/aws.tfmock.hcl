# Values the AWS API would compute, known at plan time (override_during = plan in the test files)
# and distinct per resource, so the assertions can tell which ARN a policy or trigger names.
# Account 111122223333 in eu-west-1 throughout; nothing here is asserted as such.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "111122223333"
  }
}

mock_data "aws_region" {
  defaults = {
    region = "eu-west-1"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-west-1:111122223333:log-group:mock-function-logs"
  }
}

mock_resource "aws_dynamodb_table" {
  defaults = {
    arn = "arn:aws:dynamodb:eu-west-1:111122223333:table/mock-records"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::111122223333:role/mock-function"
    id  = "mock-function"
  }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn = "arn:aws:lambda:eu-west-1:111122223333:function:mock-function"
  }
}

mock_resource "aws_lambda_layer_version" {
  defaults = {
    arn = "arn:aws:lambda:eu-west-1:111122223333:layer:mock-extension:1"
  }
}

override_resource {
  target = aws_s3_bucket.this["input"]
  values = {
    arn = "arn:aws:s3:::mock-input-bucket"
    id  = "mock-input-bucket"
  }
}

override_resource {
  target = aws_s3_bucket.this["output"]
  values = {
    arn = "arn:aws:s3:::mock-output-bucket"
    id  = "mock-output-bucket"
  }
}

override_resource {
  target = aws_s3_bucket.this["ops"]
  values = {
    arn = "arn:aws:s3:::mock-ops-bucket"
    id  = "mock-ops-bucket"
  }
}

override_resource {
  target = aws_sqs_queue.events
  values = {
    arn = "arn:aws:sqs:eu-west-1:111122223333:mock-events"
    id  = "https://sqs.eu-west-1.amazonaws.com/111122223333/mock-events"
  }
}

override_resource {
  target = aws_iam_role.batch_operations
  values = {
    arn = "arn:aws:iam::111122223333:role/mock-batch-operations"
    id  = "mock-batch-operations"
  }
}

override_resource {
  target = aws_sqs_queue.dead_letter
  values = {
    arn = "arn:aws:sqs:eu-west-1:111122223333:mock-dead-letter"
    id  = "https://sqs.eu-west-1.amazonaws.com/111122223333/mock-dead-letter"
  }
}

override_resource {
  target = aws_cloudwatch_metric_alarm.dead_letter
  values = {
    arn = "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:mock-dead-letter"
  }
}

override_resource {
  target = aws_cloudwatch_metric_alarm.backlog
  values = {
    arn = "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:mock-backlog"
  }
}

override_resource {
  target = aws_cloudwatch_metric_alarm.failed_records
  values = {
    arn = "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:mock-failed-records"
  }
}

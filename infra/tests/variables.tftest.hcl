# What the stack refuses to plan: every variable validation and precondition, each with a value
# it must reject (expect_failures fails the run if the plan goes through, or fails elsewhere).
# output_prefix and renditions are tested on the table the function's validator is tested on
# (settings_table.json; dev/ci/infra-check.sh generates those runs).

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

run "rejects_architecture_sparc" {
  command = plan

  variables {
    architecture = "sparc"
  }

  expect_failures = [var.architecture]
}

run "rejects_name_too_long" {
  command = plan

  variables {
    name = "a23456789012345678901234567890" # 30 characters
  }

  expect_failures = [var.name]
}

run "rejects_name_upper_case" {
  command = plan

  variables {
    name = "ImagePipe"
  }

  expect_failures = [var.name]
}

run "rejects_input_prefix_wildcard" {
  command = plan

  variables {
    input_prefix = "uploads/*"
  }

  expect_failures = [var.input_prefix]
}

run "rejects_function_timeout_above_lambda_limit" {
  command = plan

  variables {
    function_timeout_seconds = 901
  }

  expect_failures = [var.function_timeout_seconds]
}

run "rejects_maximum_concurrency_below_sqs_minimum" {
  command = plan

  variables {
    maximum_concurrency = 1
  }

  expect_failures = [var.maximum_concurrency]
}

run "rejects_extra_environment_not_imagepipe" {
  command = plan

  variables {
    extra_environment = { AWS_REGION = "x" }
  }

  expect_failures = [var.extra_environment]
}

run "rejects_extra_environment_overrides_output_bucket" {
  command = plan

  variables {
    extra_environment = { IMAGEPIPE_OUTPUT_BUCKET = "x" }
  }

  expect_failures = [var.extra_environment]
}

run "rejects_extra_environment_overrides_records_table" {
  command = plan

  variables {
    extra_environment = { IMAGEPIPE_RECORDS_TABLE = "x" }
  }

  expect_failures = [var.extra_environment]
}

run "rejects_extra_environment_overrides_output_prefix" {
  command = plan

  variables {
    extra_environment = { IMAGEPIPE_OUTPUT_PREFIX = "x" }
  }

  expect_failures = [var.extra_environment]
}

run "rejects_extra_environment_overrides_renditions" {
  command = plan

  variables {
    extra_environment = { IMAGEPIPE_RENDITIONS = "x" }
  }

  expect_failures = [var.extra_environment]
}

run "rejects_extra_environment_overrides_min_remaining_ms" {
  command = plan

  variables {
    extra_environment = { IMAGEPIPE_MIN_REMAINING_MS = "x" }
  }

  expect_failures = [var.extra_environment]
}

run "rejects_extra_environment_overrides_metrics_namespace" {
  command = plan

  variables {
    extra_environment = { IMAGEPIPE_METRICS_NAMESPACE = "x" }
  }

  expect_failures = [var.extra_environment]
}

run "rejects_extra_environment_overrides_metrics_dimensions" {
  command = plan

  variables {
    extra_environment = { IMAGEPIPE_METRICS_DIMENSIONS = "x" }
  }

  expect_failures = [var.extra_environment]
}

run "rejects_extra_environment_overrides_architecture" {
  command = plan

  variables {
    extra_environment = { IMAGEPIPE_ARCHITECTURE = "x" }
  }

  expect_failures = [var.extra_environment]
}

run "rejects_min_remaining_ms_not_below_timeout" {
  command = plan

  variables {
    function_timeout_seconds = 10
    min_remaining_ms         = 10000
  }

  expect_failures = [aws_lambda_function.this]
}

run "rejects_min_remaining_ms_below_one_sdk_attempt" {
  command = plan

  variables {
    min_remaining_ms = 8499
  }

  expect_failures = [aws_lambda_function.this]
}

run "min_remaining_ms_follows_a_shorter_sdk_attempt" {
  command = plan

  variables {
    min_remaining_ms  = 2000
    extra_environment = { IMAGEPIPE_SDK_ATTEMPT_TIMEOUT_MS = "1500" }
  }

  assert {
    condition     = one(aws_lambda_function.this.environment).variables["IMAGEPIPE_MIN_REMAINING_MS"] == "2000"
    error_message = "A margin that covers a shortened SDK attempt plus the answer's reserve is accepted."
  }
}

run "rejects_large_batch_without_batching_window" {
  command = plan

  variables {
    batch_size              = 11
    batching_window_seconds = 0
  }

  expect_failures = [aws_lambda_event_source_mapping.events]
}

run "accepts_large_batch_with_batching_window" {
  command = plan

  variables {
    batch_size              = 11
    batching_window_seconds = 1
  }

  assert {
    condition     = aws_lambda_event_source_mapping.events.batch_size == 11
    error_message = "batch_size above 10 with a batching window must plan."
  }
}

run "rejects_metrics_dimension_the_extension_refuses" {
  command = plan

  variables {
    metrics_dimensions = "FunctionName,Region"
  }

  expect_failures = [var.metrics_dimensions]
}

run "rejects_metrics_dimension_without_a_name" {
  command = plan

  variables {
    metrics_dimensions = " =prod"
  }

  expect_failures = [var.metrics_dimensions]
}

run "rejects_backlog_alarm_below_a_minute" {
  command = plan

  variables {
    backlog_alarm_age_seconds = 30
  }

  expect_failures = [var.backlog_alarm_age_seconds]
}

run "rejects_negative_failed_records_threshold" {
  command = plan

  variables {
    failed_records_alarm_threshold = -1
  }

  expect_failures = [var.failed_records_alarm_threshold]
}

run "rejects_batch_files_expiring_at_once" {
  command = plan

  variables {
    batch_files_expiration_days = 0
  }

  expect_failures = [var.batch_files_expiration_days]
}

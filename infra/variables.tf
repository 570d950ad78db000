################################################################################
# General
################################################################################

variable "name" {
  description = "Name of the deployment: the function's name and the prefix of every other resource name (buckets get a unique suffix from AWS)."
  type        = string
  default     = "imagepipe"

  validation {
    # Bucket name prefixes: lower case, digits and hyphens; "-output-" and the 26-character
    # unique suffix must still fit in 63 characters (the provider caps bucket_prefix at 37).
    condition     = can(regex("^[a-z][a-z0-9-]{0,27}[a-z0-9]$", var.name))
    error_message = "name must be 2-29 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "region" {
  description = "AWS region to deploy to. null uses the environment's region (AWS_REGION, AWS_DEFAULT_REGION or the profile's)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource (through the provider's default_tags)."
  type        = map(string)
  default     = {}
}

################################################################################
# Function
################################################################################

variable "architecture" {
  description = "Lambda architecture: arm64 (Graviton, about 20% cheaper per GB-second) or x86_64. The function and extension zips are built for it."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "function_memory_mb" {
  description = "Function memory in MB. Lambda gives CPU in proportion (1769 MB = 1 vCPU, up to 6 vCPU at 10240 MB); the AVIF encoder is CPU-bound and spreads over 2 threads, so 2 vCPUs (3538 MB) is the fastest size at the lowest cost per image (docs/bench/lambda.md)."
  type        = number
  default     = 3538

  validation {
    condition     = var.function_memory_mb >= 128 && var.function_memory_mb <= 10240 && floor(var.function_memory_mb) == var.function_memory_mb
    error_message = "function_memory_mb must be a whole number from 128 to 10240."
  }
}

variable "function_timeout_seconds" {
  description = "Function timeout in seconds, for a whole batch. The queue's visibility timeout is derived from it (6x plus the batching window)."
  type        = number
  default     = 120

  validation {
    condition     = var.function_timeout_seconds >= 1 && var.function_timeout_seconds <= 900 && floor(var.function_timeout_seconds) == var.function_timeout_seconds
    error_message = "function_timeout_seconds must be a whole number from 1 to 900."
  }
}

variable "min_remaining_ms" {
  description = "IMAGEPIPE_MIN_REMAINING_MS: the function starts no new object of a batch once less time than this remains (the rest is handed back and retried). Must be below the timeout and cover one SDK attempt's limit plus 500 ms (8500 with the default IMAGEPIPE_SDK_ATTEMPT_TIMEOUT_MS)."
  type        = number
  default     = 10000

  validation {
    condition     = var.min_remaining_ms >= 0 && floor(var.min_remaining_ms) == var.min_remaining_ms
    error_message = "min_remaining_ms must be a whole number of milliseconds, 0 or more."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrency reserved for the function (taken from the account's pool). null reserves none: the event source mapping's maximum_concurrency already caps it."
  type        = number
  default     = null
}

variable "log_retention_days" {
  description = "Days the function's CloudWatch log group keeps logs (and the extension's metric lines)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "application_log_level" {
  description = "Lowest level of the function's own log lines CloudWatch keeps (JSON log format; sets AWS_LAMBDA_LOG_LEVEL)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.application_log_level)
    error_message = "application_log_level must be TRACE, DEBUG, INFO, WARN, ERROR or FATAL."
  }
}

variable "system_log_level" {
  description = "Lowest level of the Lambda platform's log lines CloudWatch keeps (JSON log format)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.system_log_level)
    error_message = "system_log_level must be DEBUG, INFO or WARN."
  }
}

################################################################################
# Pipeline settings (function environment)
################################################################################

variable "output_prefix" {
  description = "IMAGEPIPE_OUTPUT_PREFIX: key prefix of every rendition in the output bucket (a `/` is appended when missing; surrounding whitespace is ignored). The function may write only under it."
  type        = string
  default     = "renditions/"

  # The function's own rule (parse_prefix in modules/core/src/config.rs), so a value that plans
  # is a value the function starts with; infra/tests/settings_table.json holds the cases both
  # sides are tested on.
  validation {
    condition = (
      can(regex("^[A-Za-z0-9._-][A-Za-z0-9._/-]*$", trimspace(var.output_prefix))) &&
      !anytrue([for segment in split("/", trimspace(var.output_prefix)) : segment == "." || segment == ".."])
    )
    error_message = "output_prefix must be a relative key prefix: not empty, no leading \"/\", only A-Z a-z 0-9 - _ . / and no \".\" or \"..\" segment."
  }
}

variable "renditions" {
  description = "IMAGEPIPE_RENDITIONS: name=WIDTHxHEIGHT,... (names: 1-32 of a-z 0-9 - _, each once; sides: 1-16384). Each rendition fits inside its box, keeps its aspect ratio and is never upscaled."
  type        = string
  default     = "thumb=320x320,display=1600x1600"

  # The function's own rules (RenditionSpec::parse_list and ::new in modules/core/src/rendition.rs,
  # MAX_RENDITION_SIDE = 16384), whitespace included: Rust trims what Unicode calls White_Space,
  # which is [\t\n\v\f\r], U+0085 and \p{Z} here. infra/tests/settings_table.json holds the cases
  # both sides are tested on.
  validation {
    condition = try(alltrue([
      for item in split(",", trimspace(var.renditions)) : alltrue([
        for side in slice(regex("^[\\t\\n\\v\\f\\r\\x{85}\\p{Z}]*[a-z0-9_-]{1,32}[\\t\\n\\v\\f\\r\\x{85}\\p{Z}]*=[\\t\\n\\v\\f\\r\\x{85}\\p{Z}]*\\+?([0-9]+)[\\t\\n\\v\\f\\r\\x{85}\\p{Z}]*x[\\t\\n\\v\\f\\r\\x{85}\\p{Z}]*\\+?([0-9]+)[\\t\\n\\v\\f\\r\\x{85}\\p{Z}]*$", item), 0, 2) :
        tonumber(side) >= 1 && tonumber(side) <= 16384
      ])
    ]), false)
    error_message = "renditions must be name=WIDTHxHEIGHT items separated by commas (for example \"thumb=320x320,display=1600x1600\"): names of 1-32 characters from a-z 0-9 - _, sides from 1 to 16384."
  }

  validation {
    condition = try(length(distinct([
      for item in split(",", trimspace(var.renditions)) : regex("^[\\t\\n\\v\\f\\r\\x{85}\\p{Z}]*([^=]*?)[\\t\\n\\v\\f\\r\\x{85}\\p{Z}]*=", item)[0]
    ])) == length(split(",", trimspace(var.renditions))), false)
    error_message = "renditions must not name a rendition twice."
  }
}

variable "extra_environment" {
  description = "Further IMAGEPIPE_* settings for the function (for example IMAGEPIPE_AVIF_QUALITY, IMAGEPIPE_AVIF_SPEED, IMAGEPIPE_ENCODER_THREADS, IMAGEPIPE_MAX_PIXELS; see the README's configuration table). The variables this stack sets itself cannot be overridden here."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.extra_environment) : can(regex("^IMAGEPIPE_[A-Z0-9_]+$", key))])
    error_message = "extra_environment keys must be IMAGEPIPE_* variable names."
  }

  validation {
    condition = length(setintersection(keys(var.extra_environment), [
      "IMAGEPIPE_OUTPUT_BUCKET", "IMAGEPIPE_RECORDS_TABLE", "IMAGEPIPE_OUTPUT_PREFIX", "IMAGEPIPE_RENDITIONS",
      "IMAGEPIPE_MIN_REMAINING_MS", "IMAGEPIPE_METRICS_NAMESPACE", "IMAGEPIPE_METRICS_DIMENSIONS", "IMAGEPIPE_ARCHITECTURE",
    ])) == 0
    error_message = "extra_environment must not set a variable the stack sets from its own variables or resources (use output_prefix, renditions, min_remaining_ms, metrics_namespace, metrics_dimensions, architecture)."
  }
}

variable "metrics_namespace" {
  description = "IMAGEPIPE_METRICS_NAMESPACE: CloudWatch namespace of the extension's per-invocation metrics."
  type        = string
  default     = "imagepipe"

  validation {
    condition     = length(var.metrics_namespace) >= 1 && length(var.metrics_namespace) <= 255 && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 characters and must not start with \"AWS/\"."
  }
}

variable "metrics_dimensions" {
  description = "IMAGEPIPE_METRICS_DIMENSIONS: comma list of FunctionName, Architecture and fixed Name=value pairs for the extension's metrics; empty = no dimension. The dashboard and alarms name the metrics with the same dimensions."
  type        = string
  default     = "FunctionName"

  # The extension's own rule (parse_dimensions in modules/extension/src/config.rs): it refuses
  # to start on anything else.
  validation {
    condition = alltrue([
      for entry in split(",", var.metrics_dimensions) :
      contains(["", "FunctionName", "Architecture"], trimspace(entry)) || can(regex("^[^=]*[^=\\s][^=]*=", trimspace(entry)))
    ])
    error_message = "metrics_dimensions must be a comma list of FunctionName, Architecture and Name=value entries."
  }
}

################################################################################
# Trigger: S3 -> SQS -> Lambda
################################################################################

variable "input_prefix" {
  description = "Only objects whose key starts with this trigger the pipeline (S3 notification filter; the function's read permission is limited to it too). Empty = every key."
  type        = string
  default     = ""

  validation {
    condition     = !startswith(var.input_prefix, "/") && !can(regex("[*?]", var.input_prefix))
    error_message = "input_prefix must not start with \"/\" and must not contain * or ?."
  }
}

variable "input_suffix" {
  description = "Only objects whose key ends with this trigger the pipeline (S3 notification filter, for example \".jpg\"). Empty = every key; the function sniffs the format from the bytes anyway."
  type        = string
  default     = ""
}

variable "batch_size" {
  description = "Most SQS messages (one object each) per invocation. Above 10 needs batching_window_seconds >= 1."
  type        = number
  default     = 5

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000 && floor(var.batch_size) == var.batch_size
    error_message = "batch_size must be a whole number from 1 to 10000."
  }
}

variable "batching_window_seconds" {
  description = "Longest time the event source mapping gathers messages before invoking (0 = invoke as soon as messages arrive)."
  type        = number
  default     = 0

  validation {
    condition     = var.batching_window_seconds >= 0 && var.batching_window_seconds <= 300 && floor(var.batching_window_seconds) == var.batching_window_seconds
    error_message = "batching_window_seconds must be a whole number from 0 to 300."
  }
}

variable "maximum_concurrency" {
  description = "Most concurrent invocations the SQS event source mapping starts: the back-pressure on DynamoDB, S3 and your account's concurrency."
  type        = number
  default     = 10

  validation {
    condition     = var.maximum_concurrency >= 2 && var.maximum_concurrency <= 1000 && floor(var.maximum_concurrency) == var.maximum_concurrency
    error_message = "maximum_concurrency must be a whole number from 2 to 1000."
  }
}

variable "max_receive_count" {
  description = "Deliveries of one message before SQS moves it to the dead-letter queue."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000 && floor(var.max_receive_count) == var.max_receive_count
    error_message = "max_receive_count must be a whole number from 1 to 1000."
  }
}

variable "queue_retention_seconds" {
  description = "How long the event queue keeps an unprocessed message."
  type        = number
  default     = 345600 # 4 days, the SQS default

  validation {
    condition     = var.queue_retention_seconds >= 60 && var.queue_retention_seconds <= 1209600
    error_message = "queue_retention_seconds must be from 60 to 1209600 (14 days)."
  }
}

variable "dead_letter_retention_seconds" {
  description = "How long the dead-letter queue keeps a message (the most SQS allows by default: time to look at it and redrive)."
  type        = number
  default     = 1209600 # 14 days

  validation {
    condition     = var.dead_letter_retention_seconds >= 60 && var.dead_letter_retention_seconds <= 1209600
    error_message = "dead_letter_retention_seconds must be from 60 to 1209600 (14 days)."
  }
}

variable "alarm_actions" {
  description = "ARNs (for example an SNS topic) notified when an alarm (dead-letter queue, backlog, failed records) fires or clears. Empty: the alarms only show in CloudWatch."
  type        = list(string)
  default     = []
}

variable "backlog_alarm_age_seconds" {
  description = "The backlog alarm fires when the oldest message of the event queue has waited longer than this (a stalled or overwhelmed function; a large backfill through SQS looks the same)."
  type        = number
  default     = 900

  validation {
    condition     = var.backlog_alarm_age_seconds >= 60 && floor(var.backlog_alarm_age_seconds) == var.backlog_alarm_age_seconds
    error_message = "backlog_alarm_age_seconds must be a whole number of seconds, at least 60."
  }
}

variable "failed_records_alarm_threshold" {
  description = "The failed-records alarm fires when more than this many failed records are written in 5 minutes (inputs the function refuses: corrupt, unsupported, too large). 0 alarms on the first one."
  type        = number
  default     = 10

  validation {
    condition     = var.failed_records_alarm_threshold >= 0 && floor(var.failed_records_alarm_threshold) == var.failed_records_alarm_threshold
    error_message = "failed_records_alarm_threshold must be a whole number, 0 or more."
  }
}

################################################################################
# Storage
################################################################################

variable "noncurrent_version_expiration_days" {
  description = "Days after which overwritten or deleted object versions are removed from both buckets."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which unfinished multipart uploads are aborted (their parts are billed until then)."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number of days, at least 1."
  }
}

variable "batch_files_expiration_days" {
  description = "Days after which S3 Batch Operations manifests and completion reports in the ops bucket expire."
  type        = number
  default     = 30

  validation {
    condition     = var.batch_files_expiration_days >= 1 && floor(var.batch_files_expiration_days) == var.batch_files_expiration_days
    error_message = "batch_files_expiration_days must be a whole number of days, at least 1."
  }
}

variable "force_destroy_buckets" {
  description = "Let `terraform destroy` delete the buckets with every object version in them. Leave false outside throwaway stacks."
  type        = bool
  default     = false
}

variable "table_deletion_protection" {
  description = "DynamoDB deletion protection on the records table. Set false (and apply) before `terraform destroy`."
  type        = bool
  default     = true
}

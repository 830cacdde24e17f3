variable "environment" {
  description = "Environment name"
  type        = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "Environment must be dev, staging, or prod."
  }
}

variable "project_name" {
  description = "Project name"
  type        = string
  default     = "myapp"
}

variable "aws_region" {
  description = "AWS region"
  type        = string
  default     = "us-east-1"
}

variable "iam_name_suffix" {
  description = "Appended to the names of the module's IAM roles, which are global while everything else is regional: set it (for example \"-eu-west-1\") to apply the same environment in a second region"
  type        = string
  default     = ""
}

variable "replica_regions" {
  description = "Regions with a replica of each table whose stream has NEW_AND_OLD_IMAGES (global tables); none by default"
  type        = list(string)
  default     = []
}

variable "enable_encryption" {
  description = "Enable server-side encryption"
  type        = bool
  default     = true
}

variable "enable_point_in_time_recovery" {
  description = "Enable point-in-time recovery"
  type        = bool
  default     = false
}

variable "enable_auto_scaling" {
  description = "Enable auto scaling"
  type        = bool
  default     = true
}

variable "backup_retention_period" {
  description = "Backup retention period in days (AWS Backup plan lifecycle)"
  type        = number
  default     = 7
}

variable "table_configs" {
  description = "DynamoDB table configurations"
  type = map(object({
    hash_key       = string
    range_key      = optional(string)
    billing_mode   = string
    read_capacity  = optional(number)
    write_capacity = optional(number)
    attributes = list(object({
      name = string
      type = string
    }))
    global_secondary_indexes = optional(list(object({
      name               = string
      hash_key           = string
      range_key          = optional(string)
      read_capacity      = optional(number)
      write_capacity     = optional(number)
      projection_type    = string
      non_key_attributes = optional(list(string))
    })))
    local_secondary_indexes = optional(list(object({
      name               = string
      range_key          = string
      projection_type    = string
      non_key_attributes = optional(list(string))
    })))
    ttl = optional(object({
      attribute_name = string
      enabled        = bool
    }))
    stream_enabled   = optional(bool)
    stream_view_type = optional(string)
  }))

  default = {
    users = {
      hash_key     = "user_id"
      range_key    = "created_at"
      billing_mode = "PAY_PER_REQUEST"
      attributes = [
        { name = "user_id", type = "S" },
        { name = "created_at", type = "S" },
        { name = "email", type = "S" },
        { name = "status", type = "S" }
      ]
      global_secondary_indexes = [
        {
          name            = "email-index"
          hash_key        = "email"
          projection_type = "ALL"
        },
        {
          name               = "status-index"
          hash_key           = "status"
          range_key          = "created_at"
          projection_type    = "INCLUDE"
          non_key_attributes = ["user_id", "email"]
        }
      ]
      ttl = {
        attribute_name = "expires_at"
        enabled        = false
      }
      stream_enabled   = true
      stream_view_type = "NEW_AND_OLD_IMAGES"
    }

    sessions = {
      hash_key     = "session_id"
      billing_mode = "PAY_PER_REQUEST"
      attributes = [
        { name = "session_id", type = "S" },
        { name = "user_id", type = "S" }
      ]
      global_secondary_indexes = [
        {
          name            = "user-sessions-index"
          hash_key        = "user_id"
          projection_type = "ALL"
        }
      ]
      ttl = {
        attribute_name = "expires_at"
        enabled        = true
      }
    }

    analytics = {
      hash_key       = "event_date"
      range_key      = "event_timestamp"
      billing_mode   = "PROVISIONED"
      read_capacity  = 5
      write_capacity = 5
      attributes = [
        { name = "event_date", type = "S" },
        { name = "event_timestamp", type = "S" },
        { name = "event_type", type = "S" },
        { name = "user_id", type = "S" }
      ]
      global_secondary_indexes = [
        {
          name               = "event-type-index"
          hash_key           = "event_type"
          range_key          = "event_timestamp"
          read_capacity      = 5
          write_capacity     = 5
          projection_type    = "INCLUDE"
          non_key_attributes = ["user_id"]
        }
      ]
      local_secondary_indexes = [
        {
          name            = "user-events-index"
          range_key       = "user_id"
          projection_type = "ALL"
        }
      ]
      stream_enabled = false
    }
  }
}

variable "auto_scaling_config" {
  description = "Auto scaling configuration"
  type = object({
    target_tracking_scaling_policy = object({
      target_value       = number
      scale_in_cooldown  = number
      scale_out_cooldown = number
    })
    min_capacity = number
    max_capacity = number
  })
  default = {
    target_tracking_scaling_policy = {
      target_value       = 70
      scale_in_cooldown  = 60
      scale_out_cooldown = 60
    }
    min_capacity = 5
    max_capacity = 100
  }
}

environment                   = "dev"
project_name                  = "myapp"
aws_region                    = "us-east-1"
enable_encryption             = false
enable_point_in_time_recovery = false
enable_auto_scaling           = false
backup_retention_period       = 3

# Simplified table configs for development
table_configs = {
  users = {
    hash_key     = "user_id"
    billing_mode = "PAY_PER_REQUEST"
    attributes = [
      { name = "user_id", type = "S" },
      { name = "email", type = "S" }
    ]
    global_secondary_indexes = [
      {
        name            = "email-index"
        hash_key        = "email"
        projection_type = "ALL"
      }
    ]
    stream_enabled = false
  }

  sessions = {
    hash_key     = "session_id"
    billing_mode = "PAY_PER_REQUEST"
    attributes = [
      { name = "session_id", type = "S" }
    ]
    ttl = {
      attribute_name = "expires_at"
      enabled        = true
    }
  }
}

auto_scaling_config = {
  target_tracking_scaling_policy = {
    target_value       = 70
    scale_in_cooldown  = 60
    scale_out_cooldown = 60
  }
  min_capacity = 1
  max_capacity = 10
}

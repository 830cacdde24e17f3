environment                   = "staging"
project_name                  = "myapp"
aws_region                    = "us-east-1"
enable_encryption             = true
enable_point_in_time_recovery = true
enable_auto_scaling           = true
backup_retention_period       = 7

# Use default table_configs with some modifications
auto_scaling_config = {
  target_tracking_scaling_policy = {
    target_value       = 70
    scale_in_cooldown  = 60
    scale_out_cooldown = 60
  }
  min_capacity = 5
  max_capacity = 50
}

environment                   = "prod"
project_name                  = "myapp"
aws_region                    = "us-east-1"
enable_encryption             = true
enable_point_in_time_recovery = true
enable_auto_scaling           = true
backup_retention_period       = 30

# Global tables: a replica of the users table (the one whose stream has both images) in each
# region listed, e.g. ["eu-west-1"].
replica_regions = []

# Use default table_configs (full configuration)

auto_scaling_config = {
  target_tracking_scaling_policy = {
    target_value       = 70
    scale_in_cooldown  = 300 # 5 minutes
    scale_out_cooldown = 60  # 1 minute
  }
  min_capacity = 10
  max_capacity = 200
}

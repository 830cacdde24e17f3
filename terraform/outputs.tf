output "table_names" {
  description = "Names of all DynamoDB tables"
  value = {
    for key, table in aws_dynamodb_table.tables : key => table.name
  }
}

output "table_arns" {
  description = "ARNs of all DynamoDB tables"
  value = {
    for key, table in aws_dynamodb_table.tables : key => table.arn
  }
}

output "table_stream_arns" {
  description = "Stream ARNs for DynamoDB tables"
  value = {
    for key, table in aws_dynamodb_table.tables : key => table.stream_arn
    if table.stream_enabled
  }
}

output "users_table_name" {
  description = "Name of the users table"
  value       = aws_dynamodb_table.tables["users"].name
}

output "sessions_table_name" {
  description = "Name of the sessions table"
  value       = aws_dynamodb_table.tables["sessions"].name
}

# Fix: dev.tfvars defines no analytics table; the seed's direct index failed there.
output "analytics_table_name" {
  description = "Name of the analytics table"
  value       = try(aws_dynamodb_table.tables["analytics"].name, null)
}

output "kms_key_id" {
  description = "ID of the KMS key for DynamoDB encryption"
  value       = var.enable_encryption ? aws_kms_key.dynamodb[0].id : null
}

output "backup_arns" {
  description = "ARNs of the AWS Backup vault, plan and selection that back up the tables"
  value = {
    vault     = aws_backup_vault.dynamodb.arn
    plan      = aws_backup_plan.dynamodb.arn
    selection = aws_backup_selection.dynamodb.id
  }
}

output "cloudwatch_alarm_arns" {
  description = "ARNs of CloudWatch alarms"
  value = {
    read_throttled = {
      for key, alarm in aws_cloudwatch_metric_alarm.read_throttled_requests : key => alarm.arn
    }
    write_throttled = {
      for key, alarm in aws_cloudwatch_metric_alarm.write_throttled_requests : key => alarm.arn
    }
    high_read_capacity = {
      for key, alarm in aws_cloudwatch_metric_alarm.consumed_read_capacity : key => alarm.arn
    }
  }
}

output "auto_scaling_policies" {
  description = "Auto scaling policy ARNs"
  value = {
    read_policies = {
      for key, policy in aws_appautoscaling_policy.read_policy : key => policy.arn
    }
    write_policies = {
      for key, policy in aws_appautoscaling_policy.write_policy : key => policy.arn
    }
  }
}

output "application_role_arn" {
  description = "The role the application assumes to use the tables"
  value       = aws_iam_role.application.arn
}

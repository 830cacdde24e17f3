locals {
  table_name_prefix = "${var.project_name}-${var.environment}"

  common_tags = {
    Environment = var.environment
    Project     = var.project_name
  }
}

# KMS Key for DynamoDB Encryption
resource "aws_kms_key" "dynamodb" {
  count = var.enable_encryption ? 1 : 0

  description             = "KMS key for DynamoDB encryption - ${local.table_name_prefix}"
  deletion_window_in_days = var.environment == "prod" ? 30 : 10

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Principal = {
          AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"
        }
        Action   = "kms:*"
        Resource = "*"
      },
      {
        Effect = "Allow"
        Principal = {
          Service = "dynamodb.amazonaws.com"
        }
        Action = [
          "kms:Decrypt",
          "kms:GenerateDataKey"
        ]
        Resource = "*"
      }
    ]
  })

  tags = merge(local.common_tags, {
    Name = "${local.table_name_prefix}-dynamodb-key"
  })
}

resource "aws_kms_alias" "dynamodb" {
  count = var.enable_encryption ? 1 : 0

  name          = "alias/${local.table_name_prefix}-dynamodb"
  target_key_id = aws_kms_key.dynamodb[0].key_id
}

# DynamoDB Tables
resource "aws_dynamodb_table" "tables" {
  for_each = var.table_configs

  name           = "${local.table_name_prefix}-${each.key}"
  billing_mode   = each.value.billing_mode
  hash_key       = each.value.hash_key
  range_key      = each.value.range_key
  read_capacity  = each.value.billing_mode == "PROVISIONED" ? each.value.read_capacity : null
  write_capacity = each.value.billing_mode == "PROVISIONED" ? each.value.write_capacity : null

  # Enable streams if configured (fix: tables that leave stream_enabled unset must not break
  # the conditional, so null counts as false).
  stream_enabled   = coalesce(each.value.stream_enabled, false)
  stream_view_type = coalesce(each.value.stream_enabled, false) ? each.value.stream_view_type : null

  # Attributes
  dynamic "attribute" {
    for_each = each.value.attributes
    content {
      name = attribute.value.name
      type = attribute.value.type
    }
  }

  # Global Secondary Indexes
  dynamic "global_secondary_index" {
    for_each = each.value.global_secondary_indexes != null ? each.value.global_secondary_indexes : []
    content {
      name               = global_secondary_index.value.name
      hash_key           = global_secondary_index.value.hash_key
      range_key          = global_secondary_index.value.range_key
      read_capacity      = each.value.billing_mode == "PROVISIONED" ? global_secondary_index.value.read_capacity : null
      write_capacity     = each.value.billing_mode == "PROVISIONED" ? global_secondary_index.value.write_capacity : null
      projection_type    = global_secondary_index.value.projection_type
      non_key_attributes = global_secondary_index.value.non_key_attributes
    }
  }

  # Local Secondary Indexes
  dynamic "local_secondary_index" {
    for_each = each.value.local_secondary_indexes != null ? each.value.local_secondary_indexes : []
    content {
      name               = local_secondary_index.value.name
      range_key          = local_secondary_index.value.range_key
      projection_type    = local_secondary_index.value.projection_type
      non_key_attributes = local_secondary_index.value.non_key_attributes
    }
  }

  # TTL Configuration
  dynamic "ttl" {
    for_each = each.value.ttl != null ? [each.value.ttl] : []
    content {
      attribute_name = ttl.value.attribute_name
      enabled        = ttl.value.enabled
    }
  }

  # Encryption (fix: the provider's argument is kms_key_arn)
  dynamic "server_side_encryption" {
    for_each = var.enable_encryption ? [1] : []
    content {
      enabled     = true
      kms_key_arn = aws_kms_key.dynamodb[0].arn
    }
  }

  # Point-in-time recovery
  point_in_time_recovery {
    enabled = var.enable_point_in_time_recovery
  }

  # Global tables (version 2019.11.21): a replica in each of var.replica_regions for the tables
  # whose stream carries both images, which replication needs. Replicas use their region's AWS
  # managed key (a customer managed key is regional).
  dynamic "replica" {
    for_each = coalesce(each.value.stream_enabled, false) && each.value.stream_view_type == "NEW_AND_OLD_IMAGES" ? var.replica_regions : []
    content {
      region_name            = replica.value
      point_in_time_recovery = var.enable_point_in_time_recovery
      propagate_tags         = true
    }
  }

  tags = merge(local.common_tags, {
    Name      = "${local.table_name_prefix}-${each.key}"
    TableType = each.key
  })

  # fix: auto scaling owns the capacity of the tables registered with it (it raises them to
  # min_capacity at registration and scales them after); without this every plan after a
  # scaling activity wants the configured capacity back (the Terraform/DynamoDB auto scaling
  # fight, on AWS too).
  lifecycle {
    ignore_changes = [read_capacity, write_capacity]
  }
}

# Auto Scaling for Read Capacity
resource "aws_appautoscaling_target" "read_target" {
  for_each = {
    for k, v in var.table_configs : k => v
    if var.enable_auto_scaling && v.billing_mode == "PROVISIONED"
  }

  max_capacity       = var.auto_scaling_config.max_capacity
  min_capacity       = var.auto_scaling_config.min_capacity
  resource_id        = "table/${aws_dynamodb_table.tables[each.key].name}"
  scalable_dimension = "dynamodb:table:ReadCapacityUnits"
  service_namespace  = "dynamodb"

  tags = local.common_tags
}

resource "aws_appautoscaling_policy" "read_policy" {
  for_each = {
    for k, v in var.table_configs : k => v
    if var.enable_auto_scaling && v.billing_mode == "PROVISIONED"
  }

  name               = "${local.table_name_prefix}-${each.key}-read-scaling-policy"
  policy_type        = "TargetTrackingScaling"
  resource_id        = aws_appautoscaling_target.read_target[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.read_target[each.key].scalable_dimension
  service_namespace  = aws_appautoscaling_target.read_target[each.key].service_namespace

  target_tracking_scaling_policy_configuration {
    predefined_metric_specification {
      predefined_metric_type = "DynamoDBReadCapacityUtilization"
    }
    target_value       = var.auto_scaling_config.target_tracking_scaling_policy.target_value
    scale_in_cooldown  = var.auto_scaling_config.target_tracking_scaling_policy.scale_in_cooldown
    scale_out_cooldown = var.auto_scaling_config.target_tracking_scaling_policy.scale_out_cooldown
  }
}

# Auto Scaling for Write Capacity
resource "aws_appautoscaling_target" "write_target" {
  for_each = {
    for k, v in var.table_configs : k => v
    if var.enable_auto_scaling && v.billing_mode == "PROVISIONED"
  }

  max_capacity       = var.auto_scaling_config.max_capacity
  min_capacity       = var.auto_scaling_config.min_capacity
  resource_id        = "table/${aws_dynamodb_table.tables[each.key].name}"
  scalable_dimension = "dynamodb:table:WriteCapacityUnits"
  service_namespace  = "dynamodb"

  tags = local.common_tags
}

resource "aws_appautoscaling_policy" "write_policy" {
  for_each = {
    for k, v in var.table_configs : k => v
    if var.enable_auto_scaling && v.billing_mode == "PROVISIONED"
  }

  name               = "${local.table_name_prefix}-${each.key}-write-scaling-policy"
  policy_type        = "TargetTrackingScaling"
  resource_id        = aws_appautoscaling_target.write_target[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.write_target[each.key].scalable_dimension
  service_namespace  = aws_appautoscaling_target.write_target[each.key].service_namespace

  target_tracking_scaling_policy_configuration {
    predefined_metric_specification {
      predefined_metric_type = "DynamoDBWriteCapacityUtilization"
    }
    target_value       = var.auto_scaling_config.target_tracking_scaling_policy.target_value
    scale_in_cooldown  = var.auto_scaling_config.target_tracking_scaling_policy.scale_in_cooldown
    scale_out_cooldown = var.auto_scaling_config.target_tracking_scaling_policy.scale_out_cooldown
  }
}

# Backup Configuration (fix: `aws_dynamodb_backup` does not exist in the provider; the seed's
# "automatic backup" with a retention period is an AWS Backup plan over the tables).
resource "aws_backup_vault" "dynamodb" {
  name = "${local.table_name_prefix}-dynamodb-backups"
  tags = local.common_tags
}

resource "aws_backup_plan" "dynamodb" {
  name = "${local.table_name_prefix}-dynamodb-backup-plan"

  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.dynamodb.name
    schedule          = "cron(0 3 * * ? *)"

    lifecycle {
      delete_after = var.backup_retention_period
    }
  }

  tags = local.common_tags
}

resource "aws_iam_role" "backup" {
  name = "${local.table_name_prefix}-dynamodb-backup${var.iam_name_suffix}"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "backup.amazonaws.com" }
        Action    = "sts:AssumeRole"
      }
    ]
  })

  tags = local.common_tags
}

resource "aws_iam_role_policy_attachment" "backup" {
  role       = aws_iam_role.backup.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
}

# The application's role, carrying the IAM policy of the seed's "IAM Policies" section.
# fix: the seed documents the policy but attaches it to nothing; the application's code assumes
# this role (trusted by the account, whose own policies say who may assume it).
resource "aws_iam_role" "application" {
  name = "${local.table_name_prefix}-application${var.iam_name_suffix}"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "sts:AssumeRole"
      }
    ]
  })

  tags = local.common_tags
}

resource "aws_iam_role_policy" "application_dynamodb" {
  name = "${local.table_name_prefix}-dynamodb-access"
  role = aws_iam_role.application.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Effect = "Allow"
        Action = [
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:Query",
          "dynamodb:Scan",
          "dynamodb:UpdateItem",
          "dynamodb:DeleteItem"
        ]
        Resource = [
          "arn:aws:dynamodb:*:*:table/${var.project_name}-*",
          "arn:aws:dynamodb:*:*:table/${var.project_name}-*/index/*"
        ]
      }
      ],
      # fix: DynamoDB uses a table's customer managed key with the caller's permissions; the
      # key policy delegates to IAM, so without this the role cannot read its encrypted tables.
      var.enable_encryption ? [
        {
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
          Resource = aws_kms_key.dynamodb[0].arn
          Condition = {
            StringLike = { "kms:ViaService" = "dynamodb.*.amazonaws.com" }
          }
        }
    ] : [])
  })
}

resource "aws_backup_selection" "dynamodb" {
  name         = "${local.table_name_prefix}-dynamodb-tables"
  plan_id      = aws_backup_plan.dynamodb.id
  iam_role_arn = aws_iam_role.backup.arn
  resources    = [for table in aws_dynamodb_table.tables : table.arn]
}

# CloudWatch Alarms
resource "aws_cloudwatch_metric_alarm" "read_throttled_requests" {
  for_each = var.table_configs

  alarm_name          = "${local.table_name_prefix}-${each.key}-read-throttled-requests"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = "2"
  # fix: DynamoDB never publishes ReadThrottledRequests (an alarm on it stays
  # INSUFFICIENT_DATA forever); ReadThrottleEvents counts the table's throttled reads.
  metric_name       = "ReadThrottleEvents"
  namespace         = "AWS/DynamoDB"
  period            = "300"
  statistic         = "Sum"
  threshold         = "0"
  alarm_description = "This metric monitors read throttled requests for ${each.key} table"

  dimensions = {
    TableName = aws_dynamodb_table.tables[each.key].name
  }

  tags = local.common_tags
}

resource "aws_cloudwatch_metric_alarm" "write_throttled_requests" {
  for_each = var.table_configs

  alarm_name          = "${local.table_name_prefix}-${each.key}-write-throttled-requests"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = "2"
  # fix: DynamoDB never publishes WriteThrottledRequests; WriteThrottleEvents counts the
  # table's throttled writes.
  metric_name       = "WriteThrottleEvents"
  namespace         = "AWS/DynamoDB"
  period            = "300"
  statistic         = "Sum"
  threshold         = "0"
  alarm_description = "This metric monitors write throttled requests for ${each.key} table"

  dimensions = {
    TableName = aws_dynamodb_table.tables[each.key].name
  }

  tags = local.common_tags
}

resource "aws_cloudwatch_metric_alarm" "consumed_read_capacity" {
  for_each = {
    for k, v in var.table_configs : k => v
    if v.billing_mode == "PROVISIONED"
  }

  alarm_name          = "${local.table_name_prefix}-${each.key}-high-read-capacity"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = "2"
  metric_name         = "ConsumedReadCapacityUnits"
  namespace           = "AWS/DynamoDB"
  period              = "300"
  # fix: the Average of ConsumedReadCapacityUnits is per request, not per second (AWS: "use
  # the Sum statistic ... and divide by the number of seconds"), so "Average > 80% of the
  # provisioned units" never fires under load. Sum over the period > 80% of what the
  # provisioned capacity serves in it is the alarm the seed meant.
  statistic         = "Sum"
  threshold         = each.value.read_capacity * 0.8 * 300
  alarm_description = "This metric monitors consumed read capacity for ${each.key} table"

  dimensions = {
    TableName = aws_dynamodb_table.tables[each.key].name
  }

  tags = local.common_tags
}

# Data source
data "aws_caller_identity" "current" {}

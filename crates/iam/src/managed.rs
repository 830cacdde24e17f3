//! The AWS managed policies Dynostack knows (`arn:aws:iam::aws:policy/…`): the ones the stack's
//! Terraform and examples attach. Names, paths, descriptions, dates and default version ids are
//! those of the AWS managed policy reference; documents carry the DynamoDB-relevant statements
//! of the real policy (the real documents of the AWS Backup policies are much longer).

pub struct AwsPolicy {
    pub name: &'static str,
    pub path: &'static str,
    pub id: &'static str,
    pub description: &'static str,
    pub create_date: &'static str,
    pub update_date: &'static str,
    pub version: &'static str,
    pub document: &'static str,
}

impl AwsPolicy {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy{}{}", self.path, self.name)
    }
}

pub const AWS_POLICIES: &[AwsPolicy] = &[
    AwsPolicy {
        name: "AWSBackupServiceRolePolicyForBackup",
        path: "/service-role/",
        id: "ANPAJWUXG3TUVGMBU6NGE",
        description: "Provides AWS Backup permission to create backups on your behalf across AWS services",
        create_date: "2019-01-10T21:01:28Z",
        update_date: "2025-05-22T00:37:00Z",
        version: "v22",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"DynamoDBPermissions","Effect":"Allow","Action":["dynamodb:DescribeTable","dynamodb:CreateBackup"],"Resource":"arn:aws:dynamodb:*:*:table/*"},{"Sid":"DynamoDBBackupResourcePermissions","Effect":"Allow","Action":["dynamodb:DescribeBackup","dynamodb:DeleteBackup"],"Resource":"arn:aws:dynamodb:*:*:table/*/backup/*"},{"Sid":"DynamoDBBackupPermissions","Effect":"Allow","Action":["rds:AddTagsToResource","rds:ListTagsForResource","rds:DescribeDBSnapshots","rds:CreateDBSnapshot","rds:CopyDBSnapshot","rds:DescribeDBInstances","rds:CreateDBClusterSnapshot","rds:DescribeDBClusters","rds:DescribeDBClusterSnapshots","rds:CopyDBClusterSnapshot","rds:DescribeDBClusterAutomatedBackups"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "AWSBackupServiceRolePolicyForRestores",
        path: "/service-role/",
        id: "ANPAJZCCL6F2WPVOUXZKI",
        description: "Provides AWS Backup permission to perform restores on your behalf across AWS services. This policy includes permissions to create and delete AWS resources, such as EBS volumes, RDS instances, and EFS file systems, which are part of the restore process.",
        create_date: "2019-01-12T00:23:54Z",
        update_date: "2026-02-12T17:57:00Z",
        version: "v35",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"DynamoDBPermissions","Effect":"Allow","Action":["dynamodb:Scan","dynamodb:Query","dynamodb:UpdateItem","dynamodb:PutItem","dynamodb:GetItem","dynamodb:DeleteItem","dynamodb:BatchWriteItem","dynamodb:DescribeTable"],"Resource":"arn:aws:dynamodb:*:*:table/*"},{"Sid":"DynamoDBBackupResourcePermissions","Effect":"Allow","Action":["dynamodb:RestoreTableFromBackup"],"Resource":"arn:aws:dynamodb:*:*:table/*/backup/*"}]}"#,
    },
    AwsPolicy {
        name: "AmazonDynamoDBFullAccess",
        path: "/",
        id: "ANPAINUGF2JSOSUY76KYA",
        description: "Provides full access to Amazon DynamoDB via the AWS Management Console.",
        create_date: "2015-02-06T18:40:11Z",
        update_date: "2021-01-29T17:38:00Z",
        version: "v15",
        document: r#"{"Version":"2012-10-17","Statement":[{"Action":["dynamodb:*","dax:*","application-autoscaling:DeleteScalingPolicy","application-autoscaling:DeregisterScalableTarget","application-autoscaling:DescribeScalableTargets","application-autoscaling:DescribeScalingActivities","application-autoscaling:DescribeScalingPolicies","application-autoscaling:PutScalingPolicy","application-autoscaling:RegisterScalableTarget","cloudwatch:DeleteAlarms","cloudwatch:DescribeAlarmHistory","cloudwatch:DescribeAlarms","cloudwatch:DescribeAlarmsForMetric","cloudwatch:GetMetricStatistics","cloudwatch:ListMetrics","cloudwatch:PutMetricAlarm","cloudwatch:GetMetricData","kms:DescribeKey","kms:ListAliases","iam:GetRole","iam:ListRoles"],"Effect":"Allow","Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "AmazonDynamoDBReadOnlyAccess",
        path: "/",
        id: "ANPAIY2XFNA232XJ6J7X2",
        description: "Provides read only access to Amazon DynamoDB via the AWS Management Console.",
        create_date: "2015-02-06T18:40:12Z",
        update_date: "2024-11-18T17:38:00Z",
        version: "v15",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"GeneralReadOnlyAccess","Action":["application-autoscaling:DescribeScalableTargets","application-autoscaling:DescribeScalingActivities","application-autoscaling:DescribeScalingPolicies","cloudwatch:DescribeAlarmHistory","cloudwatch:DescribeAlarms","cloudwatch:DescribeAlarmsForMetric","cloudwatch:GetMetricStatistics","cloudwatch:ListMetrics","cloudwatch:GetMetricData","dynamodb:BatchGetItem","dynamodb:Describe*","dynamodb:List*","dynamodb:GetItem","dynamodb:GetResourcePolicy","dynamodb:Query","dynamodb:Scan","dynamodb:PartiQLSelect","dax:Describe*","dax:List*","dax:GetItem","dax:BatchGetItem","dax:Query","dax:Scan"],"Effect":"Allow","Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "AWSLambdaBasicExecutionRole",
        path: "/service-role/",
        id: "ANPAJNCQGXC42545SKXIK",
        description: "Provides write permissions to CloudWatch Logs.",
        create_date: "2015-04-09T15:03:43Z",
        update_date: "2015-04-09T15:03:43Z",
        version: "v1",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"#,
    },
];

/// The AWS managed policy with this ARN.
pub fn find(arn: &str) -> Option<&'static AwsPolicy> {
    let rest = arn.strip_prefix("arn:aws:iam::aws:policy")?;
    AWS_POLICIES
        .iter()
        .find(|p| rest.strip_prefix(p.path) == Some(p.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_arn_and_documents_parse() {
        assert!(
            find("arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup")
                .is_some()
        );
        assert!(find("arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess").is_some());
        assert!(find("arn:aws:iam::aws:policy/service-role/AmazonDynamoDBFullAccess").is_none());
        assert!(find("arn:aws:iam::aws:policy/Nope").is_none());
        for p in AWS_POLICIES {
            assert!(
                serde_json::from_str::<serde_json::Value>(p.document).is_ok(),
                "{}",
                p.name
            );
            assert_eq!(p.id.len(), 21);
            assert!(
                crate::doc::validate_identity(p.document).is_ok(),
                "{}",
                p.name
            );
        }
    }
}

//! AWS's documented policy-evaluation examples, as a table: each case names the policies that
//! bear on one request, the request, and the decision AWS documents for it.
//!
//! Every case cites the page it comes from (title and URL) in a comment above it, and carries
//! the same citation in its `source` field so that a failure report names it. Policy JSON is
//! quoted as close to the page as the case allows; where a case adapts an example (an account
//! id, a principal, an action prefix the old page left out), the comment says so.
//!
//! Cases marked `// Once wrong:` are where the first version of the evaluator departed from
//! AWS's documented behaviour (found by writing this table); the comment says how it erred.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use policy::{
    evaluate, message, Caller, Context, Decision, Denial, Kind, Policies, Policy, PolicyKind,
    Request,
};

// ---------------------------------------------------------------------------------------------
// The table's vocabulary.
// ---------------------------------------------------------------------------------------------

/// Who asks. Built into a [`Caller`] at run time (the account comes from the ARN; fields this
/// table does not set are taken from [`Caller::root`] of that account).
#[derive(Clone, Copy, Debug)]
enum Who {
    /// The root user of this account.
    Root(&'static str),
    /// An IAM user, by ARN.
    User(&'static str),
    /// A role session, by its `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` ARN.
    Session(&'static str),
    /// An AWS service principal (`sns.amazonaws.com`).
    Service(&'static str),
}

struct Case {
    name: &'static str,
    source: &'static str,
    identity: &'static [&'static str],
    resource: Option<&'static str>,
    boundary: Option<&'static str>,
    session: &'static [&'static str],
    resource_policy_required: bool,
    caller: Who,
    action: &'static str,
    arn: &'static str,
    /// Condition keys: each key with all its values (one value for single-valued keys; an
    /// empty list is a key present with no values).
    context: &'static [(&'static str, &'static [&'static str])],
    expected: Decision,
}

const ALLOW: Decision = Decision::Allow;
const DENY_IDENTITY: Decision = Decision::Deny(Denial::Explicit(PolicyKind::Identity));
const DENY_RESOURCE: Decision = Decision::Deny(Denial::Explicit(PolicyKind::Resource));
const DENY_BOUNDARY: Decision = Decision::Deny(Denial::Explicit(PolicyKind::Boundary));
const DENY_SESSION: Decision = Decision::Deny(Denial::Explicit(PolicyKind::Session));
const NO_IDENTITY: Decision = Decision::Deny(Denial::Implicit(PolicyKind::Identity));
const NO_RESOURCE: Decision = Decision::Deny(Denial::Implicit(PolicyKind::Resource));
const NO_BOUNDARY: Decision = Decision::Deny(Denial::Implicit(PolicyKind::Boundary));
const NO_SESSION: Decision = Decision::Deny(Denial::Implicit(PolicyKind::Session));

const BASE: Case = Case {
    name: "",
    source: "",
    identity: &[],
    resource: None,
    boundary: None,
    session: &[],
    resource_policy_required: false,
    caller: ALICE,
    action: "",
    arn: "",
    context: &[],
    expected: ALLOW,
};

// Callers.
const ALICE: Who = Who::User("arn:aws:iam::123456789012:user/alice");
const CARLOS: Who = Who::User("arn:aws:iam::123456789012:user/carlossalazar");
const SHIRLEY: Who = Who::User("arn:aws:iam::123456789012:user/ShirleyRodriguez");
const DAVID: Who = Who::User("arn:aws:iam::123456789012:user/David");
const JOHNDOE_UPPER: Who = Who::User("arn:aws:iam::123456789012:user/JohnDoe");
const APP_SESSION: Who = Who::Session("arn:aws:sts::123456789012:assumed-role/app/s1");
const ROOT: Who = Who::Root("123456789012");
const KMS_USER: Who = Who::User("arn:aws:iam::111122223333:user/ExampleUser");
const KMS_OTHER_USER: Who = Who::User("arn:aws:iam::111122223333:user/Other");
const KMS_ROOT: Who = Who::Root("111122223333");
const EXAMPLE_APP_SESSION: Who =
    Who::Session("arn:aws:sts::111122223333:assumed-role/RoleForExampleApp/app1");
const BOB_444: Who = Who::User("arn:aws:iam::444455556666:user/Bob");
const ALICE_444: Who = Who::User("arn:aws:iam::444455556666:user/Alice");
const MARY_222: Who = Who::User("arn:aws:iam::222222222222:user/Mary");
const JOHN_222: Who = Who::User("arn:aws:iam::222222222222:user/John");

// Sources.
const EVAL: &str = "IAM User Guide, Policy evaluation logic — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html";
const CROSS: &str = "IAM User Guide, Cross-account policy evaluation logic — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html";
const OPS: &str = "IAM User Guide, IAM JSON policy elements: Condition operators — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html";
const COND: &str = "IAM User Guide, IAM JSON policy elements: Condition — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html";
const MULTI: &str = "IAM User Guide, Conditions with multiple context keys or values — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html";
const SETS: &str = "IAM User Guide, Creating a condition that tests multiple key values (set operators) — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html";
const MV_EXAMPLES: &str = "IAM User Guide, Multivalued context key examples — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html";
const VARS: &str = "IAM User Guide, IAM policy elements: Variables and tags — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html";
const VERSION: &str = "IAM User Guide, IAM JSON policy elements: Version — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html";
const ACTION: &str = "IAM User Guide, IAM JSON policy elements: Action — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html";
const NOTACTION: &str = "IAM User Guide, IAM JSON policy elements: NotAction — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html";
const RESOURCE: &str = "IAM User Guide, IAM JSON policy elements: Resource — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html";
const NOTRESOURCE: &str = "IAM User Guide, IAM JSON policy elements: NotResource — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html";
const PRINCIPAL: &str = "IAM User Guide, AWS JSON policy elements: Principal — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html";
const NOTPRINCIPAL: &str = "IAM User Guide, AWS JSON policy elements: NotPrincipal — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html";
const BOUNDARIES: &str = "IAM User Guide, Permissions boundaries for IAM entities — https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html";
const SESSIONS: &str = "IAM User Guide, Policies and permissions in IAM: Session policies — https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session";
const TAGS: &str = "IAM User Guide, Controlling access to AWS resources using tags — https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html";
const DATES: &str = "IAM User Guide, AWS: Allows access based on date and time — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws-dates.html";
const DENY_IP: &str = "IAM User Guide, AWS: Denies access to AWS based on the source IP — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-ip.html";
const CONFUSED: &str = "IAM User Guide, The confused deputy problem — https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html";
const DDB_FGAC: &str = "Amazon DynamoDB Developer Guide, Using IAM policy conditions for fine-grained access control — https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html";
const DDB_ATTRS: &str = "IAM User Guide, Amazon DynamoDB: Allows access to specific attributes — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_dynamodb_attributes.html";
const KMS_KEY_POLICY: &str = "AWS KMS Developer Guide, Key policies in AWS KMS / Default key policy — https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html";
const KMS_CONDITIONS: &str = "AWS KMS Developer Guide, AWS KMS condition keys (kms:ViaService, kms:CallerAccount, kms:EncryptionContext:) — https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html";
const TROUBLESHOOT: &str = "IAM User Guide, Troubleshoot access denied error messages — https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html";

// ---------------------------------------------------------------------------------------------
// Policies quoted from the pages, used by several cases.
// ---------------------------------------------------------------------------------------------

/// Policy evaluation logic, "Example identity-based and resource-based policy evaluation":
/// the policy attached to the `carlossalazar` user.
const CARLOS_IDENTITY: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowS3ListRead",
            "Effect": "Allow",
            "Action": [
                "s3:GetBucketLocation",
                "s3:GetAccountPublicAccessBlock",
                "s3:ListAccessPoints",
                "s3:ListAllMyBuckets"
            ],
            "Resource": "arn:aws:s3:::*"
        },
        {
            "Sid": "AllowS3Self",
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": [
                "arn:aws:s3:::carlossalazar/*",
                "arn:aws:s3:::carlossalazar"
            ]
        },
        {
            "Sid": "DenyS3Logs",
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::*log*"
        }
    ]
}"#;

/// The same page: the bucket policy attached to the `carlossalazar` bucket.
const CARLOS_BUCKET: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {
                "AWS": "arn:aws:iam::123456789012:user/carlossalazar"
            },
            "Action": "s3:*",
            "Resource": [
                "arn:aws:s3:::carlossalazar/*",
                "arn:aws:s3:::carlossalazar"
            ]
        }
    ]
}"#;

/// Policy evaluation logic, "The difference between explicit and implicit denies".
const GET_LIST_DENY_REPORTS: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowGetList",
            "Effect": "Allow",
            "Action": [
                "iam:Get*",
                "iam:List*"
            ],
            "Resource": "*"
        },
        {
            "Sid": "DenyReports",
            "Effect": "Deny",
            "Action": "iam:*Report",
            "Resource": "*"
        }
    ]
}"#;

/// Permissions boundaries, the boundary set for `ShirleyRodriguez`.
const SHIRLEY_BOUNDARY: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "s3:*",
                "cloudwatch:*",
                "ec2:*"
            ],
            "Resource": "*"
        }
    ]
}"#;

/// Permissions boundaries, the policy added to `ShirleyRodriguez`.
const SHIRLEY_CREATE_USER: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "iam:CreateUser",
    "Resource": "*"
  }
}"#;

/// Permissions boundaries, María's `XCompanyBoundaries` (first, third and fourth statements).
const XCOMPANY_BOUNDARIES: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ServiceBoundaries",
            "Effect": "Allow",
            "Action": [
                "s3:*",
                "cloudwatch:*",
                "ec2:*",
                "dynamodb:*"
            ],
            "Resource": "*"
        },
        {
            "Sid": "AllowManageOwnPasswordAndAccessKeys",
            "Effect": "Allow",
            "Action": [
                "iam:*AccessKey*",
                "iam:ChangePassword",
                "iam:GetUser",
                "iam:*ServiceSpecificCredential*",
                "iam:*SigningCertificate*"
            ],
            "Resource": ["arn:aws:iam::*:user/${aws:username}"]
        },
        {
            "Sid": "DenyS3Logs",
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": [
                "arn:aws:s3:::logs",
                "arn:aws:s3:::logs/*"
            ]
        }
    ]
}"#;

const ALLOW_ALL: &str = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#;
const ALLOW_S3: &str = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#;
const ALLOW_IAM: &str = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}}"#;
const ALLOW_DYNAMODB: &str = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}}"#;
const ALLOW_KMS: &str = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}}"#;
const DENY_KMS: &str = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "kms:*", "Resource": "*"}}"#;

/// Session policies: the session policy of the "SecurityAdminAccess" use case.
const NEW_HIRE_SESSION: &str = r#"{
  "Version" : "2012-10-17",
  "Statement": [{
    "Sid": "Statement1",
    "Effect": "Allow",
    "Action": ["s3:GetBucket", "s3:GetObject"],
    "Resource": ["arn:aws:s3:::NewHireOrientation", "arn:aws:s3:::NewHireOrientation/*"]
  }]
}"#;

const TABLE_BOOKS: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/Books";

/// A table policy naming the role `app` (not the session).
const BOOKS_FOR_ROLE: &str = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:role/app"},
    "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/Books"}}"#;

/// A table policy naming the session `app/s1` itself.
const BOOKS_FOR_SESSION: &str = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
    "Principal": {"AWS": "arn:aws:sts::123456789012:assumed-role/app/s1"},
    "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/Books"}}"#;

/// Condition operators, "String condition operators": the `aws:PrincipalTag` example.
const JOB_CATEGORY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "iam:*AccessKey*",
    "Resource": "arn:aws:iam::123456789012:user/*",
    "Condition": {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}
  }
}"#;

/// Condition operators, "String condition operators": the S3 home-directory example.
const S3_HOME: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation"
      ],
      "Resource": "arn:aws:s3:::*"
    },
    {
      "Effect": "Allow",
      "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::BUCKET-NAME",
      "Condition": {"StringLike": {"s3:prefix": [
        "",
        "home/",
        "home/${aws:username}/"
      ]}}
    },
    {
      "Effect": "Allow",
      "Action": "s3:*",
      "Resource": [
        "arn:aws:s3:::BUCKET-NAME/home/${aws:username}",
        "arn:aws:s3:::BUCKET-NAME/home/${aws:username}/*"
      ]
    }
  ]
}"#;

/// Condition operators, "Numeric condition operators".
const MAX_KEYS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "s3:ListBucket",
    "Resource": "arn:aws:s3:::example_bucket",
    "Condition": {"NumericLessThanEquals": {"s3:max-keys": "10"}}
  }
}"#;

/// Condition operators, "Date condition operators".
const TOKEN_ISSUED_2020: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "iam:*AccessKey*",
    "Resource": "arn:aws:iam::123456789012:user/*",
    "Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}
  }
}"#;

/// AWS: Allows access based on date and time.
const DATE_RANGE: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "service-prefix:action-name",
            "Resource": "*",
            "Condition": {
                "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
                "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"}
            }
        }
    ]
}"#;

/// Condition operators, "Boolean condition operators" (with an allow beside it, as the page
/// says the deny must be combined with policies that allow).
const SECURE_TRANSPORT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "BooleanExample",
      "Action": "s3:*",
      "Effect": "Deny",
      "Resource": [
        "arn:aws:s3:::DOC-EXAMPLE-BUCKET",
        "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"
      ],
      "Condition": {
        "Bool": {
          "aws:SecureTransport": "false"
        }
      }
    }
  ]
}"#;

/// Condition operators, "Binary condition operators" (the page's condition in a statement).
const BINARY: &str = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
    "Action": "someservice:*", "Resource": "*",
    "Condition" : {
      "BinaryEquals": {
        "key" : "QmluYXJ5VmFsdWVJbkJhc2U2NA=="
      }
    }}}"#;

/// Condition operators, "IP address condition operators" (mixing IPv4 and IPv6).
const SOURCE_IP: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "someservice:*",
    "Resource": "*",
    "Condition": {
      "IpAddress": {
        "aws:SourceIp": [
          "203.0.113.0/24",
          "2001:DB8:1234:5678::/64"
        ]
      }
    }
  }
}"#;

/// AWS: Denies access to AWS based on the source IP.
const DENY_OUTSIDE_IPS: &str = r#"{
    "Version": "2012-10-17",
    "Statement": {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {
            "NotIpAddress": {
                "aws:SourceIp": [
                    "192.0.2.0/24",
                    "203.0.113.0/24"
                ]
            },
            "Bool": {"aws:ViaAWSService": "false"}
        }
    }
}"#;

/// Condition operators, "Condition operator to check existence of condition keys".
const NULL_TOKEN: &str = r#"{
  "Version": "2012-10-17",
  "Statement":{
      "Action":"ec2:*",
      "Effect":"Allow",
      "Resource":"*",
      "Condition":{"Null":{"aws:TokenIssueTime":"true"}}
  }
}"#;

/// Condition operators, "...IfExists condition operators" (the RunInstance statement).
const RUN_INSTANCE_IF_EXISTS: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "RunInstance",
            "Effect": "Allow",
            "Action": "ec2:RunInstances",
            "Resource": "*",
            "Condition": {
                "StringLikeIfExists": {
                    "ec2:InstanceType": [
                        "t1.*",
                        "t2.*",
                        "m3.*"
             ]}}
        }]
}"#;

/// Set operators: the `ForAllValues:StringLike` example (action prefixed: the page writes
/// `"GetItem"`, which names no action).
const THREAD_ALL_VALUES: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "dynamodb:GetItem",
    "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/Thread",
    "Condition": {"ForAllValues:StringLike": {"dynamodb:requestedAttributes": [
      "PostDateTime",
      "Message",
      "Tags"
    ]}}
  }]
}"#;

/// Set operators: the `ForAnyValue:StringLike` deny example (action prefixed, as above).
const THREAD_ANY_VALUE_DENY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Deny",
    "Action": "dynamodb:PutItem",
    "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/Thread",
    "Condition": {"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": [
      "ID",
      "PostDateTime"
    ]}}
  }]
}"#;

const THREAD: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/Thread";

/// Multivalued context key examples, "Deny policy with condition set operator ForAllValues".
const DENY_TAG_KEY1: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Deny",
    "Action": ["iam:TagUser", "iam:TagRole", "iam:UntagUser", "iam:UntagRole"],
    "Resource": "*",
    "Condition": {
      "ForAllValues:StringLike": {
        "aws:TagKeys": "key1*"
      }
    }
  }
}"#;

/// The same page, with the `Null` guard it recommends against missing keys.
const DENY_TAG_KEY1_NULL_GUARD: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Deny",
    "Action": ["iam:TagUser", "iam:TagRole", "iam:UntagUser", "iam:UntagRole"],
    "Resource": "*",
    "Condition": {
      "ForAllValues:StringLike": {
        "aws:TagKeys": "key1*"
      },
      "Null": {
        "aws:TagKeys": "false"
      }
    }
  }
}"#;

/// Controlling access using tags, "Controlling tag keys".
const SECRET_TAG_KEYS: &str = r#"{
    "Version": "2012-10-17",
    "Statement": {
        "Effect": "Allow",
        "Action": [
            "secretsmanager:CreateSecret",
            "secretsmanager:TagResource"
        ],
        "Resource": "*",
        "Condition": {
            "ForAllValues:StringEquals": {
                "aws:TagKeys": [
                    "environment",
                    "cost-center"
                ]
            }
        }
    }
}"#;

/// Controlling access using tags, "Controlling access to requests".
const CREATE_TAGS_REQUEST_TAG: &str = r#"{
    "Version": "2012-10-17",
    "Statement": {
        "Effect": "Allow",
        "Action": "ec2:CreateTags",
        "Resource": "arn:aws:ec2:*:*:instance/*",
        "Condition": {
            "StringEquals": {
                "aws:RequestTag/environment": [
                    "preprod",
                    "production"
                ]
            },
            "ForAllValues:StringEquals": {"aws:TagKeys": "environment"}
        }
    }
}"#;

/// Controlling access using tags, "Controlling access to resources" (`${aws:username}` in a
/// condition value).
const EC2_OWNER: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "ec2:StartInstances",
                "ec2:StopInstances"
            ],
            "Resource": "arn:aws:ec2:*:*:instance/*",
            "Condition": {
                "StringEquals": {"ec2:ResourceTag/Owner": "${aws:username}"}
            }
        },
        {
            "Effect": "Allow",
            "Action": "ec2:DescribeInstances",
            "Resource": "*"
        }
    ]
}"#;

/// Variables and tags, "Resource element": each user's home in `mybucket`.
const MYBUCKET_HOME: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Action": ["s3:ListBucket"],
      "Effect": "Allow",
      "Resource": ["arn:aws:s3:::mybucket"],
      "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}
    },
    {
      "Action": [
        "s3:GetObject",
        "s3:PutObject"
      ],
      "Effect": "Allow",
      "Resource": ["arn:aws:s3:::mybucket/${aws:username}/*"]
    }
  ]
}"#;

/// Amazon DynamoDB, fine-grained access control: the GameScores policy (`GameRole`).
const GAME_SCORES: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowAccessToOnlyItemsMatchingUserID",
            "Effect": "Allow",
            "Action": [
                "dynamodb:GetItem",
                "dynamodb:BatchGetItem",
                "dynamodb:Query",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:BatchWriteItem"
            ],
            "Resource": [
                "arn:aws:dynamodb:us-west-2:123456789012:table/GameScores"
            ],
            "Condition": {
                "ForAllValues:StringEquals": {
                    "dynamodb:LeadingKeys": [
                        "${www.amazon.com:user_id}"
                    ],
                    "dynamodb:Attributes": [
                        "UserId",
                        "GameTitle",
                        "Wins",
                        "Losses",
                        "TopScore",
                        "TopScoreDateTime"
                    ]
                },
                "StringEqualsIfExists": {
                    "dynamodb:Select": "SPECIFIC_ATTRIBUTES"
                }
            }
        }
    ]
}"#;

const GAME_SCORES_TABLE: &str = "arn:aws:dynamodb:us-west-2:123456789012:table/GameScores";

/// The same policy keyed on the IAM user's name rather than the web identity's id.
const GAME_SCORES_BY_USERNAME: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"],
            "Resource": ["arn:aws:dynamodb:us-west-2:123456789012:table/GameScores"],
            "Condition": {
                "ForAllValues:StringEquals": {
                    "dynamodb:LeadingKeys": ["${aws:username}"]
                }
            }
        }
    ]
}"#;

/// IAM User Guide, "Amazon DynamoDB: Allows access to specific attributes".
const DDB_SPECIFIC_ATTRIBUTES: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:GetItem",
                "dynamodb:BatchGetItem",
                "dynamodb:Query",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:BatchWriteItem"
            ],
            "Resource": ["arn:aws:dynamodb:*:*:table/table-name"],
            "Condition": {
                "ForAllValues:StringEquals": {
                    "dynamodb:Attributes": [
                        "column-name-1",
                        "column-name-2",
                        "column-name-3"
                    ]
                },
                "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}
            }
        }
    ]
}"#;

const TABLE_NAME: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/table-name";

/// AWS KMS, default key policy: "Allows access to the AWS account and enables IAM policies".
const KMS_DEFAULT_KEY_POLICY: &str = r#"{
    "Version": "2012-10-17",
    "Id": "key-default-1",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {
                "AWS": "arn:aws:iam::111122223333:root"
            },
            "Action": "kms:*",
            "Resource": "*"
        }
    ]
}"#;

/// A key policy that does not delegate to the account: only ExampleUser may use the key.
const KMS_USER_ONLY_KEY_POLICY: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Allow use of the key",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:user/ExampleUser"},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*"
        }
    ]
}"#;

/// AWS KMS condition keys, kms:ViaService.
const KMS_VIA_SERVICE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Principal": {
      "AWS": "arn:aws:iam::111122223333:user/ExampleUser"
    },
    "Action": [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:CreateGrant",
      "kms:ListGrants",
      "kms:DescribeKey"
    ],
    "Resource": "*",
    "Condition": {
      "StringEquals": {
        "kms:ViaService": [
          "ec2.us-west-2.amazonaws.com",
          "rds.us-west-2.amazonaws.com"
        ]
      }
    }
  }
}"#;

/// AWS KMS condition keys, kms:CallerAccount (the AWS managed key for Amazon EBS).
const KMS_CALLER_ACCOUNT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Sid": "Allow access through EBS for all principals in the account that are authorized to use EBS",
    "Effect": "Allow",
    "Principal": {
      "AWS": "*"
    },
    "Action": [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:CreateGrant",
      "kms:DescribeKey"
    ],
    "Resource": "*",
    "Condition": {
      "StringEquals": {
        "kms:CallerAccount": "111122223333",
        "kms:ViaService": "ec2.us-west-2.amazonaws.com"
      }
    }
  }
}"#;

/// AWS KMS condition keys, kms:EncryptionContext:context-key.
const KMS_ENCRYPTION_CONTEXT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Principal": {
      "AWS": "arn:aws:iam::111122223333:role/RoleForExampleApp"
    },
    "Action": "kms:Decrypt",
    "Resource": "*",
    "Condition": {
      "StringEquals": {
        "kms:EncryptionContext:AppName": "ExampleApp"
      }
    }
  }
}"#;

const KMS_KEY: &str = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// NotPrincipal, "IAM user in the same or a different account".
const NOT_PRINCIPAL_BOB: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Deny",
        "NotPrincipal": {"AWS": [
            "arn:aws:iam::444455556666:user/Bob",
            "arn:aws:iam::444455556666:root"
        ]},
        "Action": "s3:*",
        "Resource": [
            "arn:aws:s3:::BUCKETNAME",
            "arn:aws:s3:::BUCKETNAME/*"
        ]
    }]
}"#;

/// Conditions with multiple context keys or values: the page's S3 bucket policy conditions,
/// held by the identity here (the evaluator models one account: in the page the bucket is in
/// another account, which changes nothing about how the condition block evaluates).
const MULTI_KEYS_ALLOW: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ExamplePolicy",
      "Effect": "Allow",
      "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
      "Condition": {
        "StringEquals": {
          "aws:PrincipalTag/department": [
            "finance",
            "hr",
            "legal"
          ],
          "aws:PrincipalTag/role": [
            "audit",
            "security"
          ]
        },
        "ArnLike": {
          "aws:PrincipalArn": [
            "arn:aws:iam::222222222222:user/Ana",
            "arn:aws:iam::222222222222:user/Mary"
          ]
        }
      }
    }
  ]
}"#;

/// The same page, "Evaluation logic for negated matching condition operators": the deny
/// counterpart, as a bucket policy delegating to the account.
const MULTI_KEYS_NEGATED_DENY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ExamplePolicy",
      "Effect": "Deny",
      "Principal": {
        "AWS": "arn:aws:iam::222222222222:root"
      },
      "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
      "Condition": {
        "StringNotEquals": {
          "aws:PrincipalTag/department": [
            "finance",
            "hr",
            "legal"
          ],
          "aws:PrincipalTag/role": [
            "audit",
            "security"
          ]
        },
        "ArnNotLike": {
          "aws:PrincipalArn": [
            "arn:aws:iam::222222222222:user/Ana",
            "arn:aws:iam::222222222222:user/Mary"
          ]
        }
      }
    }
  ]
}"#;

// ---------------------------------------------------------------------------------------------
// The cases.
// ---------------------------------------------------------------------------------------------

static CASES: &[Case] = &[
    // ======================= Policy evaluation logic =======================

    // Source: IAM User Guide, "Policy evaluation logic", Example identity-based and
    // resource-based policy evaluation — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    // "AWS first checks for a Deny statement ... It finds one, because the identity-based
    // policy explicitly denies Carlos access to any S3 buckets used for logging."
    Case {
        name: "carlos: DenyS3Logs in his identity policy refuses the logs bucket",
        source: EVAL,
        identity: &[CARLOS_IDENTITY],
        caller: CARLOS,
        action: "s3:PutObject",
        arn: "arn:aws:s3:::carlossalazar-logs/file.txt",
        expected: DENY_IDENTITY,
        ..BASE
    },
    // Source: same page and example — "Both the identity-based policy and the resource-based
    // policy allow the request. Therefore, AWS allows the request."
    Case {
        name: "carlos: identity and bucket policy both allow his own bucket",
        source: EVAL,
        identity: &[CARLOS_IDENTITY],
        resource: Some(CARLOS_BUCKET),
        caller: CARLOS,
        action: "s3:PutObject",
        arn: "arn:aws:s3:::carlossalazar/file.txt",
        ..BASE
    },
    // Source: same page — "If one of the policy types allows the request and the other
    // doesn't, the request is still allowed." (Bucket policy alone.)
    Case {
        name: "carlos: the bucket policy alone allows",
        source: EVAL,
        resource: Some(CARLOS_BUCKET),
        caller: CARLOS,
        action: "s3:GetObject",
        arn: "arn:aws:s3:::carlossalazar/file.txt",
        ..BASE
    },
    // Source: same page, same sentence (identity policy alone).
    Case {
        name: "carlos: the identity policy alone allows",
        source: EVAL,
        identity: &[CARLOS_IDENTITY],
        caller: CARLOS,
        action: "s3:GetObject",
        arn: "arn:aws:s3:::carlossalazar/file.txt",
        ..BASE
    },
    // Source: same page — "An explicit deny in either of these policies overrides the allow"
    // (the bucket policy allows, the identity policy's DenyS3Logs matches `*log*`).
    Case {
        name: "carlos: identity deny overrides a bucket-policy allow",
        source: EVAL,
        identity: &[CARLOS_IDENTITY],
        resource: Some(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:user/carlossalazar"},
            "Action": "s3:*", "Resource": "arn:aws:s3:::carlossalazar-logs/*"}}"#,
        ),
        caller: CARLOS,
        action: "s3:PutObject",
        arn: "arn:aws:s3:::carlossalazar-logs/file.txt",
        expected: DENY_IDENTITY,
        ..BASE
    },
    // Source: same page, "Determining whether a request is allowed or denied within an
    // account" — "By default, all requests are implicitly denied".
    Case {
        name: "no policy at all: implicit deny",
        source: EVAL,
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same page, "The difference between explicit and implicit denies" — "The
    // AllowGetList statement allows read-only access to IAM actions that begin with the
    // prefixes Get and List."
    Case {
        name: "AllowGetList allows iam:GetUser",
        source: EVAL,
        identity: &[GET_LIST_DENY_REPORTS],
        action: "iam:GetUser",
        arn: "arn:aws:iam::123456789012:user/alice",
        ..BASE
    },
    // Source: same section — "All other actions in IAM, such as iam:CreatePolicy are
    // implicitly denied."
    Case {
        name: "AllowGetList leaves iam:CreatePolicy implicitly denied",
        source: EVAL,
        identity: &[GET_LIST_DENY_REPORTS],
        action: "iam:CreatePolicy",
        arn: "arn:aws:iam::123456789012:policy/p",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same section — "explicitly denies access ... such as
    // iam:GetOrganizationsAccessReport" (which iam:Get* would otherwise allow).
    Case {
        name: "DenyReports refuses iam:GetOrganizationsAccessReport despite iam:Get*",
        source: EVAL,
        identity: &[GET_LIST_DENY_REPORTS],
        action: "iam:GetOrganizationsAccessReport",
        arn: "*",
        expected: DENY_IDENTITY,
        ..BASE
    },
    // Source: same section — "If someone adds another policy to this principal to grant them
    // access to IAM reports, such as iam:GenerateCredentialReport, report-related requests are
    // still denied because of this explicit deny."
    Case {
        name: "DenyReports wins over another policy allowing iam:*",
        source: EVAL,
        identity: &[GET_LIST_DENY_REPORTS, ALLOW_IAM],
        action: "iam:GenerateCredentialReport",
        arn: "*",
        expected: DENY_IDENTITY,
        ..BASE
    },
    // Source: same page, "Deny evaluation" — "In all those policies, the enforcement code looks
    // for a Deny statement that applies to the request ... If the code finds even one explicit
    // deny that applies, the code returns a final decision of Deny." (resource-based policy)
    Case {
        name: "explicit deny in a resource policy beats an identity allow",
        source: EVAL,
        identity: &[ALLOW_DYNAMODB],
        resource: Some(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Principal": "*",
            "Action": "dynamodb:DeleteItem", "Resource": "*"}}"#,
        ),
        action: "dynamodb:DeleteItem",
        arn: TABLE_BOOKS,
        expected: DENY_RESOURCE,
        ..BASE
    },
    // Source: same page — "By default, all requests are implicitly denied with the exception
    // of the AWS account root user, which has full access."
    Case {
        name: "root: allowed without any policy",
        source: EVAL,
        caller: ROOT,
        action: "dynamodb:DeleteTable",
        arn: TABLE_BOOKS,
        ..BASE
    },
    // Source: same page — "An explicit deny in any policy overrides any allows." (A resource
    // policy denying everyone, root included.)
    Case {
        name: "root: refused by a resource policy's explicit deny",
        source: EVAL,
        resource: Some(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Principal": "*",
            "Action": "dynamodb:DeleteTable", "Resource": "*"}}"#,
        ),
        caller: ROOT,
        action: "dynamodb:DeleteTable",
        arn: TABLE_BOOKS,
        expected: DENY_RESOURCE,
        ..BASE
    },
    // Source: same page, "Resource-based policies" — "IAM role – Resource-based policies that
    // grant permissions to an IAM role ARN are limited by an implicit deny in a permissions
    // boundary or session policy."
    Case {
        name: "role ARN named by a table policy: limited by the boundary",
        source: EVAL,
        identity: &[ALLOW_DYNAMODB],
        resource: Some(BOOKS_FOR_ROLE),
        boundary: Some(ALLOW_S3),
        caller: APP_SESSION,
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        expected: NO_BOUNDARY,
        ..BASE
    },
    // Source: same sentence (session policy).
    Case {
        name: "role ARN named by a table policy: limited by the session policy",
        source: EVAL,
        identity: &[ALLOW_DYNAMODB],
        resource: Some(BOOKS_FOR_ROLE),
        session: &[ALLOW_S3],
        caller: APP_SESSION,
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        expected: NO_SESSION,
        ..BASE
    },
    // Source: IAM User Guide, Session policies — "A resource-based policy can specify the ARN
    // of the user or role as a principal ... The resulting session's permissions are the
    // intersection of the session policies and either the resource-based policy or the
    // identity-based policy." — https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
    Case {
        name: "role ARN named by a table policy: session policy allows, no identity policy needed",
        source: SESSIONS,
        resource: Some(BOOKS_FOR_ROLE),
        session: &[ALLOW_DYNAMODB],
        caller: APP_SESSION,
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        ..BASE
    },
    // Source: Policy evaluation logic — "IAM role session – ... Permissions granted directly to
    // a session are not limited by an implicit deny in an identity-based policy, a permissions
    // boundary, or session policy."
    Case {
        name: "session ARN named by a table policy: not limited by identity, boundary or session",
        source: EVAL,
        resource: Some(BOOKS_FOR_SESSION),
        boundary: Some(ALLOW_S3),
        session: &[ALLOW_S3],
        caller: APP_SESSION,
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        ..BASE
    },
    // Source: Policy evaluation logic — "IAM user – Within the same account, resource-based
    // policies that grant permissions to an IAM user ARN ... are not limited by an implicit
    // deny in an identity-based policy or permissions boundary."
    Case {
        name: "user ARN named by a table policy: not limited by the boundary",
        source: EVAL,
        resource: Some(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:user/ShirleyRodriguez"},
            "Action": "dynamodb:GetItem", "Resource": "*"}}"#,
        ),
        boundary: Some(SHIRLEY_BOUNDARY),
        caller: SHIRLEY,
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        ..BASE
    },
    // Source: Permissions boundaries, "Evaluating effective permissions with boundaries" —
    // "Resource-based policies ... An explicit deny in any of these policies overrides the
    // allow."
    Case {
        name: "user ARN named by a bucket policy: the boundary's explicit deny still wins",
        source: BOUNDARIES,
        resource: Some(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:user/alice"},
            "Action": "s3:*", "Resource": "arn:aws:s3:::logs/*"}}"#,
        ),
        boundary: Some(XCOMPANY_BOUNDARIES),
        action: "s3:GetObject",
        arn: "arn:aws:s3:::logs/today.log",
        context: &[("aws:username", &["alice"])],
        expected: DENY_BOUNDARY,
        ..BASE
    },
    // ======================= Permissions boundaries =======================

    // Source: IAM User Guide, Permissions boundaries for IAM entities — "If you attach this
    // policy to the ShirleyRodriguez user, and Shirley tries to create a user, the operation
    // fails. It fails because the policy evaluation logic checks the policy used as the
    // permissions boundary, which does not allow the iam:CreateUser operation." —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
    Case {
        name: "Shirley: iam:CreateUser allowed by identity, not by the boundary",
        source: BOUNDARIES,
        identity: &[SHIRLEY_CREATE_USER],
        boundary: Some(SHIRLEY_BOUNDARY),
        caller: SHIRLEY,
        action: "iam:CreateUser",
        arn: "arn:aws:iam::123456789012:user/newbie",
        expected: NO_BOUNDARY,
        ..BASE
    },
    // Source: same page — "the entity can perform only the actions that are allowed by both
    // its identity-based policies and its permissions boundaries."
    Case {
        name: "Shirley: s3 allowed by both identity and boundary",
        source: BOUNDARIES,
        identity: &[ALLOW_S3],
        boundary: Some(SHIRLEY_BOUNDARY),
        caller: SHIRLEY,
        action: "s3:ListBucket",
        arn: "arn:aws:s3:::reports",
        ..BASE
    },
    // Source: same page — "When you use a policy to set the permissions boundary for a user,
    // it limits the user's permissions but does not provide permissions on its own."
    Case {
        name: "Shirley: the boundary alone grants nothing",
        source: BOUNDARIES,
        boundary: Some(SHIRLEY_BOUNDARY),
        caller: SHIRLEY,
        action: "ec2:DescribeInstances",
        arn: "*",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same page, XCompanyBoundaries' AllowManageOwnPasswordAndAccessKeys — "allows the
    // users manage only their own console password and programmatic access keys" (a policy
    // variable in a boundary's Resource).
    Case {
        name: "XCompanyBoundaries: a user may create their own access key",
        source: BOUNDARIES,
        identity: &[ALLOW_IAM],
        boundary: Some(XCOMPANY_BOUNDARIES),
        action: "iam:CreateAccessKey",
        arn: "arn:aws:iam::123456789012:user/alice",
        context: &[("aws:username", &["alice"])],
        ..BASE
    },
    // Source: same statement — not another user's access key.
    Case {
        name: "XCompanyBoundaries: not another user's access key",
        source: BOUNDARIES,
        identity: &[ALLOW_IAM],
        boundary: Some(XCOMPANY_BOUNDARIES),
        action: "iam:CreateAccessKey",
        arn: "arn:aws:iam::123456789012:user/bob",
        context: &[("aws:username", &["alice"])],
        expected: NO_BOUNDARY,
        ..BASE
    },
    // Source: same page — "The DenyS3Logs statement explicitly denies access to the logs
    // bucket."
    Case {
        name: "XCompanyBoundaries: DenyS3Logs is an explicit deny in the boundary",
        source: BOUNDARIES,
        identity: &[ALLOW_S3],
        boundary: Some(XCOMPANY_BOUNDARIES),
        action: "s3:GetObject",
        arn: "arn:aws:s3:::logs/today.log",
        expected: DENY_BOUNDARY,
        ..BASE
    },
    // ======================= Session policies =======================

    // Source: IAM User Guide, Session policies — "the resulting session's permissions are the
    // intersection of the IAM entity's identity-based policy and the session policies."
    Case {
        name: "session policy narrows the role: outside it is implicitly denied",
        source: SESSIONS,
        identity: &[ALLOW_ALL],
        session: &[NEW_HIRE_SESSION],
        caller: APP_SESSION,
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        expected: NO_SESSION,
        ..BASE
    },
    // Source: same — inside the intersection.
    Case {
        name: "session policy narrows the role: inside it is allowed",
        source: SESSIONS,
        identity: &[ALLOW_ALL],
        session: &[NEW_HIRE_SESSION],
        caller: APP_SESSION,
        action: "s3:GetObject",
        arn: "arn:aws:s3:::NewHireOrientation/welcome.pdf",
        ..BASE
    },
    // Source: same — a session policy grants nothing the role's policies do not.
    Case {
        name: "session policy alone grants nothing",
        source: SESSIONS,
        session: &[NEW_HIRE_SESSION],
        caller: APP_SESSION,
        action: "s3:GetObject",
        arn: "arn:aws:s3:::NewHireOrientation/welcome.pdf",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: Policy evaluation logic, "Deny evaluation" (session policies are among the
    // policies searched for a Deny).
    Case {
        name: "explicit deny in a session policy",
        source: EVAL,
        identity: &[ALLOW_ALL],
        session: &[
            ALLOW_ALL,
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"}}"#,
        ],
        caller: APP_SESSION,
        action: "dynamodb:DeleteTable",
        arn: TABLE_BOOKS,
        expected: DENY_SESSION,
        ..BASE
    },
    // ======================= Principal / delegation =======================

    // Source: IAM User Guide, AWS JSON policy elements: Principal, "AWS account principals" —
    // "When you use an AWS account identifier as the principal in a policy, you delegate
    // authority to the account. All identities inside the account can access the resource if
    // they have the appropriate IAM permissions attached to explicitly allow access." —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
    Case {
        name: "account principal delegates: no IAM allow, no access",
        source: PRINCIPAL,
        resource: Some(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"AWS": "123456789012"},
            "Action": "dynamodb:GetItem", "Resource": "*"}}"#,
        ),
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same — with the IAM allow (account named by its root ARN).
    Case {
        name: "account principal delegates: with an IAM allow, access",
        source: PRINCIPAL,
        identity: &[ALLOW_DYNAMODB],
        resource: Some(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "dynamodb:GetItem", "Resource": "*"}}"#,
        ),
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        ..BASE
    },
    // Source: same page, "All principals" — the wildcard principal names everyone.
    Case {
        name: "Principal * grants in the resource policy alone",
        source: PRINCIPAL,
        resource: Some(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*",
            "Action": "dynamodb:GetItem", "Resource": "*"}}"#,
        ),
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        ..BASE
    },
    // Source: Policy evaluation logic, "Example identity-based and resource-based policy
    // evaluation" — "This policy specifies that only the carlossalazar user can access the
    // carlossalazar bucket." (Another user gets nothing from it.)
    Case {
        name: "a resource policy naming someone else grants nothing",
        source: EVAL,
        resource: Some(CARLOS_BUCKET),
        action: "s3:GetObject",
        arn: "arn:aws:s3:::carlossalazar/file.txt",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: IAM User Guide, The confused deputy problem (service principal with
    // aws:SourceArn and aws:SourceAccount) — https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
    Case {
        name: "service principal named, SourceArn and SourceAccount match",
        source: CONFUSED,
        resource: Some(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": "arn:aws:sqs:us-east-1:123456789012:queue1",
            "Condition": {
              "ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:*"},
              "StringEquals": {"aws:SourceAccount": "123456789012"}}}}"#,
        ),
        caller: Who::Service("sns.amazonaws.com"),
        action: "sqs:SendMessage",
        arn: "arn:aws:sqs:us-east-1:123456789012:queue1",
        context: &[
            ("aws:SourceArn", &["arn:aws:sns:us-east-1:123456789012:topic1"]),
            ("aws:SourceAccount", &["123456789012"]),
        ],
        ..BASE
    },
    // Source: same page — a topic in another account is the confused deputy the conditions
    // refuse (no policy allows; AWS names no policy type for a service principal, this table
    // expects the evaluator's identity wording).
    Case {
        name: "service principal named, SourceArn from another account refused",
        source: CONFUSED,
        resource: Some(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": "arn:aws:sqs:us-east-1:123456789012:queue1",
            "Condition": {
              "ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:*"},
              "StringEquals": {"aws:SourceAccount": "123456789012"}}}}"#,
        ),
        caller: Who::Service("sns.amazonaws.com"),
        action: "sqs:SendMessage",
        arn: "arn:aws:sqs:us-east-1:123456789012:queue1",
        context: &[
            ("aws:SourceArn", &["arn:aws:sns:us-east-1:999999999999:topic1"]),
            ("aws:SourceAccount", &["999999999999"]),
        ],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: Principal, "AWS service principals" — a policy naming one service does not name
    // another.
    Case {
        name: "service principal not named",
        source: PRINCIPAL,
        resource: Some(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": "*"}}"#,
        ),
        caller: Who::Service("events.amazonaws.com"),
        action: "sqs:SendMessage",
        arn: "arn:aws:sqs:us-east-1:123456789012:queue1",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: IAM User Guide, NotPrincipal, "NotPrincipal with Deny" — "all principals except
    // the user named Bob in AWS account 444455556666 are explicitly denied access" (Bob is
    // let through the deny; a separate statement allows him). —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    Case {
        name: "NotPrincipal deny: Bob is not denied",
        source: NOTPRINCIPAL,
        identity: &[ALLOW_S3],
        resource: Some(NOT_PRINCIPAL_BOB),
        caller: BOB_444,
        action: "s3:GetObject",
        arn: "arn:aws:s3:::BUCKETNAME/report.csv",
        ..BASE
    },
    // Once wrong: the evaluator treated an account listed in NotPrincipal as covering every principal
    // of that account ("an account listed covers its principals too", evaluate.rs), so Alice,
    // another user of 444455556666, escapes the deny. The page says of this exact policy:
    // "all principals *except* the user named Bob in AWS account 444455556666 are explicitly
    // denied access to a resource", and lists the account ARN only so that Bob's account is
    // not itself denied ("Otherwise, the policy might deny access to the entire account
    // containing the principal").
    // Source: IAM User Guide, NotPrincipal, "NotPrincipal with Deny".
    Case {
        name: "NotPrincipal deny: Alice (same account as Bob) is denied",
        source: NOTPRINCIPAL,
        identity: &[ALLOW_S3],
        resource: Some(NOT_PRINCIPAL_BOB),
        caller: ALICE_444,
        action: "s3:GetObject",
        arn: "arn:aws:s3:::BUCKETNAME/report.csv",
        expected: DENY_RESOURCE,
        ..BASE
    },
    // Source: IAM User Guide, Cross-account policy evaluation logic — "the resource-based
    // policy in AccountB must allow the requester in AccountA ... The request is allowed only
    // if both evaluations return a decision of Allow." — both allow here. —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
    Case {
        name: "cross-account: identity allows and the table policy names the account",
        source: CROSS,
        identity: &[ALLOW_DYNAMODB],
        resource: Some(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"AWS": "444455556666"},
            "Action": "dynamodb:GetItem", "Resource": "*"}}"#,
        ),
        caller: BOB_444,
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        ..BASE
    },
    // Once wrong: cross-account requests need both the trusted account's identity policy and the
    // trusting account's resource policy. The evaluator ignores the resource's account (it
    // models "a request within one account", evaluate.rs) and lets a resource policy that
    // names a foreign user grant on its own. Doc: "For cross-account requests, the requester
    // in the trusted AccountA must have an identity-based policy. That policy must allow them
    // to make a request to the resource in the trusting AccountB."
    // Source: IAM User Guide, Cross-account policy evaluation logic.
    Case {
        name: "cross-account: table policy names a foreign user, but no identity policy allows",
        source: CROSS,
        resource: Some(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444455556666:user/Bob"},
            "Action": "dynamodb:GetItem", "Resource": "*"}}"#,
        ),
        caller: BOB_444,
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        expected: NO_IDENTITY,
        ..BASE
    },
    // Once wrong: same root cause, the other way round: an identity policy in account 444455556666
    // allowing dynamodb:* on * reaches a table of 123456789012 whose owner granted nothing.
    // Doc: "Additionally, the resource-based policy in AccountB must allow the requester in
    // AccountA to access the resource."
    // Source: IAM User Guide, Cross-account policy evaluation logic.
    Case {
        name: "cross-account: identity allows, but the table's account granted nothing",
        source: CROSS,
        identity: &[ALLOW_DYNAMODB],
        caller: BOB_444,
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        expected: NO_RESOURCE,
        ..BASE
    },
    // ======================= NotAction / NotResource =======================

    // Source: IAM User Guide, IAM JSON policy elements: NotAction, "Using NotAction with Allow"
    // — allows everything except IAM. —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
    Case {
        name: "Allow NotAction iam:*: s3 is allowed",
        source: NOTACTION,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}"#,
        ],
        action: "s3:GetObject",
        arn: "arn:aws:s3:::bucket/key",
        ..BASE
    },
    // Source: same — the IAM actions are left implicitly denied.
    Case {
        name: "Allow NotAction iam:*: iam:CreateUser is implicitly denied",
        source: NOTACTION,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}"#,
        ],
        action: "iam:CreateUser",
        arn: "arn:aws:iam::123456789012:user/x",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same page, "Using NotAction with Deny" — DenyAllUsersNotUsingMFA with
    // BoolIfExists: a request signed with long-term keys has no aws:MultiFactorAuthPresent.
    Case {
        name: "DenyAllUsersNotUsingMFA: s3 without MFA is denied",
        source: NOTACTION,
        identity: &[
            ALLOW_ALL,
            r#"{"Version": "2012-10-17", "Statement": [{"Sid": "DenyAllUsersNotUsingMFA",
            "Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}"#,
        ],
        action: "s3:ListAllMyBuckets",
        arn: "*",
        expected: DENY_IDENTITY,
        ..BASE
    },
    // Source: same — IAM actions are outside the NotAction deny.
    Case {
        name: "DenyAllUsersNotUsingMFA: iam actions are not denied",
        source: NOTACTION,
        identity: &[
            ALLOW_ALL,
            r#"{"Version": "2012-10-17", "Statement": [{"Sid": "DenyAllUsersNotUsingMFA",
            "Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}"#,
        ],
        action: "iam:ListUsers",
        arn: "*",
        ..BASE
    },
    // Source: same — with MFA the condition is false and the deny does not apply.
    Case {
        name: "DenyAllUsersNotUsingMFA: s3 with MFA is allowed",
        source: NOTACTION,
        identity: &[
            ALLOW_ALL,
            r#"{"Version": "2012-10-17", "Statement": [{"Sid": "DenyAllUsersNotUsingMFA",
            "Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}"#,
        ],
        action: "s3:ListAllMyBuckets",
        arn: "*",
        context: &[("aws:MultiFactorAuthPresent", &["true"])],
        ..BASE
    },
    // Source: IAM User Guide, IAM JSON policy elements: NotResource — deny everything in S3
    // except the Payroll folder. —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
    Case {
        name: "Deny NotResource: the excepted Payroll object stays allowed",
        source: NOTRESOURCE,
        identity: &[
            ALLOW_S3,
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:*",
            "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]}}"#,
        ],
        action: "s3:GetObject",
        arn: "arn:aws:s3:::HRBucket/Payroll/2024.csv",
        ..BASE
    },
    // Source: same — everything else is explicitly denied.
    Case {
        name: "Deny NotResource: any other object is explicitly denied",
        source: NOTRESOURCE,
        identity: &[
            ALLOW_S3,
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:*",
            "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]}}"#,
        ],
        action: "s3:GetObject",
        arn: "arn:aws:s3:::HRBucket/Benefits/plan.pdf",
        expected: DENY_IDENTITY,
        ..BASE
    },
    // ======================= Wildcards in Action and Resource =======================

    // Source: IAM User Guide, IAM JSON policy elements: Action — "The prefix and the action
    // name are case insensitive. For example, iam:ListAccessKeys is the same as
    // IAM:listaccesskeys." — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
    Case {
        name: "action names compare without case",
        source: ACTION,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "IAM:listaccesskeys", "Resource": "*"}}"#,
        ],
        action: "iam:ListAccessKeys",
        arn: "arn:aws:iam::123456789012:user/alice",
        ..BASE
    },
    // Source: Condition operators page's `"Action": "iam:*AccessKey*"` with the Action page's
    // "You can use multi-character match wildcards (*) and single-character match wildcards (?)".
    Case {
        name: "action wildcard *AccessKey* matches iam:UpdateAccessKey",
        source: ACTION,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:*AccessKey*", "Resource": "*"}}"#,
        ],
        action: "iam:UpdateAccessKey",
        arn: "arn:aws:iam::123456789012:user/alice",
        ..BASE
    },
    // Source: Action page (single-character wildcard).
    Case {
        name: "action wildcard ? matches exactly one character",
        source: ACTION,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:Get?bject", "Resource": "*"}}"#,
        ],
        action: "s3:GetObject",
        arn: "arn:aws:s3:::bucket/key",
        ..BASE
    },
    // Source: IAM User Guide, IAM JSON policy elements: Resource — "In the Resource element,
    // the IAM user name is case sensitive." —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
    Case {
        name: "resource ARNs compare with case: user/Bob does not cover user/bob",
        source: RESOURCE,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:*AccessKey*",
            "Resource": "arn:aws:iam::123456789012:user/Bob"}}"#,
        ],
        action: "iam:CreateAccessKey",
        arn: "arn:aws:iam::123456789012:user/bob",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: Resource page — "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*" applies to
    // "amzn-s3-demo-bucket/1///test///object.jpg".
    Case {
        name: "resource wildcard */test/* matches 1///test///object.jpg",
        source: RESOURCE,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"}}"#,
        ],
        action: "s3:GetObject",
        arn: "arn:aws:s3:::amzn-s3-demo-bucket/1///test///object.jpg",
        ..BASE
    },
    // Source: same example — and to "amzn-s3-demo-bucket/1/2/test/3/object.jpg".
    Case {
        name: "resource wildcard */test/* matches 1/2/test/3/object.jpg",
        source: RESOURCE,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"}}"#,
        ],
        action: "s3:GetObject",
        arn: "arn:aws:s3:::amzn-s3-demo-bucket/1/2/test/3/object.jpg",
        ..BASE
    },
    // Source: same example — it does not apply to "amzn-s3-demo-bucket/1-test/object.jpg".
    Case {
        name: "resource wildcard */test/* does not match 1-test/object.jpg",
        source: RESOURCE,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"}}"#,
        ],
        action: "s3:GetObject",
        arn: "arn:aws:s3:::amzn-s3-demo-bucket/1-test/object.jpg",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same example — nor to "amzn-s3-demo-bucket/test/object.jpg".
    Case {
        name: "resource wildcard */test/* does not match test/object.jpg",
        source: RESOURCE,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"}}"#,
        ],
        action: "s3:GetObject",
        arn: "arn:aws:s3:::amzn-s3-demo-bucket/test/object.jpg",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Once wrong: a Resource whose last segment ends in `*` before the resource part matches nothing:
    // `wildcard::arn_matches` needs six colon-separated parts in the pattern. The Resource page
    // says "If the * wildcard is the last character of a resource ARN segment, it can expand
    // to match beyond the colon boundaries", so "arn:aws:dynamodb:us-east-1:*" covers every
    // table of the Region.
    // Source: IAM User Guide, IAM JSON policy elements: Resource, "Using wildcards in resource
    // ARNs".
    Case {
        name: "resource wildcard ending a segment expands beyond the colon",
        source: RESOURCE,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "dynamodb:GetItem",
            "Resource": "arn:aws:dynamodb:us-east-1:*"}}"#,
        ],
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        ..BASE
    },
    // ======================= String condition operators =======================

    // Source: Condition operators, "String condition operators" — the principal "must be
    // tagged with the iamuser-admin job category". —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    Case {
        name: "StringEquals aws:PrincipalTag/job-category: tagged user allowed",
        source: OPS,
        identity: &[JOB_CATEGORY],
        action: "iam:CreateAccessKey",
        arn: "arn:aws:iam::123456789012:user/bob",
        context: &[("aws:PrincipalTag/job-category", &["iamuser-admin"])],
        ..BASE
    },
    // Source: same — "If a user without the tag attempts to view or edit an access key, the
    // condition returns false and the request is implicitly denied by this statement."
    Case {
        name: "StringEquals aws:PrincipalTag/job-category: untagged user implicitly denied",
        source: OPS,
        identity: &[JOB_CATEGORY],
        action: "iam:CreateAccessKey",
        arn: "arn:aws:iam::123456789012:user/bob",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: IAM User Guide, IAM JSON policy elements: Condition — "the following condition
    // includes the StringEquals operator to ensure that only requests made by johndoe will
    // match. Users named JohnDoe are denied access." —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
    Case {
        name: "StringEquals is case-sensitive: JohnDoe is not johndoe",
        source: COND,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
            "Condition" : { "StringEquals" : { "aws:username" : "johndoe" }}}}"#,
        ],
        caller: JOHNDOE_UPPER,
        action: "s3:ListAllMyBuckets",
        arn: "*",
        context: &[("aws:username", &["JohnDoe"])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same — "The following condition uses the StringEqualsIgnoreCase operator to
    // match users named johndoe or JohnDoe."
    Case {
        name: "StringEqualsIgnoreCase matches JohnDoe",
        source: COND,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
            "Condition" : { "StringEqualsIgnoreCase" : { "aws:username" : "johndoe" }}}}"#,
        ],
        caller: JOHNDOE_UPPER,
        action: "s3:ListAllMyBuckets",
        arn: "*",
        context: &[("aws:username", &["JohnDoe"])],
        ..BASE
    },
    // Source: Condition element — "Condition key names are not case-sensitive. For example,
    // including the aws:SourceIP condition key is equivalent to testing for AWS:SourceIp."
    Case {
        name: "condition key names compare without case (aws:SourceIP)",
        source: COND,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIP": "203.0.113.0/24"}}}}"#,
        ],
        action: "s3:ListAllMyBuckets",
        arn: "*",
        context: &[("AWS:SourceIp", &["203.0.113.9"])],
        ..BASE
    },
    // Source: Condition operators, StringLike home-directory example — "The policy allows the
    // specified actions on an S3 bucket as long as the s3:prefix matches any one of the
    // specified patterns." (home/${aws:username}/)
    Case {
        name: "StringLike s3:prefix home/${aws:username}/: own folder listed",
        source: OPS,
        identity: &[S3_HOME],
        caller: DAVID,
        action: "s3:ListBucket",
        arn: "arn:aws:s3:::BUCKET-NAME",
        context: &[("aws:username", &["David"]), ("s3:prefix", &["home/David/"])],
        ..BASE
    },
    // Source: same — another user's folder matches none of the patterns.
    Case {
        name: "StringLike s3:prefix home/${aws:username}/: other folder refused",
        source: OPS,
        identity: &[S3_HOME],
        caller: DAVID,
        action: "s3:ListBucket",
        arn: "arn:aws:s3:::BUCKET-NAME",
        context: &[("aws:username", &["David"]), ("s3:prefix", &["home/Adele/"])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same — the empty prefix (the bucket's root) is one of the listed values.
    Case {
        name: "StringLike s3:prefix: the empty prefix is listed",
        source: OPS,
        identity: &[S3_HOME],
        caller: DAVID,
        action: "s3:ListBucket",
        arn: "arn:aws:s3:::BUCKET-NAME",
        context: &[("aws:username", &["David"]), ("s3:prefix", &[""])],
        ..BASE
    },
    // Source: same policy's third statement — `${aws:username}` in Resource.
    Case {
        name: "${aws:username} in Resource: own home object",
        source: OPS,
        identity: &[S3_HOME],
        caller: DAVID,
        action: "s3:PutObject",
        arn: "arn:aws:s3:::BUCKET-NAME/home/David/notes.txt",
        context: &[("aws:username", &["David"])],
        ..BASE
    },
    // Source: Condition operators, "Amazon Resource Name (ARN) condition operators" — "With a
    // StringLike condition, the match succeeds. The first asterisk matches
    // us-east-2:999999999999:store/abc:."
    Case {
        name: "StringLike lets * cross colons in an ARN value",
        source: OPS,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "someservice:*", "Resource": "*",
            "Condition": {"StringLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}}}}"#,
        ],
        action: "someservice:Read",
        arn: "*",
        context: &[(
            "aws:SourceArn",
            &["arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"],
        )],
        ..BASE
    },
    // Source: same — "With an ArnLike condition, which matches elements between colons, the
    // match fails."
    Case {
        name: "ArnLike checks the six ARN parts separately",
        source: OPS,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "someservice:*", "Resource": "*",
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}}}}"#,
        ],
        action: "someservice:Read",
        arn: "*",
        context: &[(
            "aws:SourceArn",
            &["arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"],
        )],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same section — "The ArnEquals and ArnLike condition operators behave
    // identically" (wildcards in ArnEquals; case-sensitive).
    Case {
        name: "ArnEquals takes wildcards like ArnLike",
        source: OPS,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*",
            "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:123456789012:TOPIC-*"}}}}"#,
        ],
        action: "sqs:SendMessage",
        arn: "arn:aws:sqs:us-east-1:123456789012:QUEUE-ID",
        context: &[("aws:SourceArn", &["arn:aws:sns:us-east-1:123456789012:TOPIC-ID"])],
        ..BASE
    },
    // ======================= Negated operators and missing keys =======================

    // Source: Condition operators, Important note — "If the policy condition requires that the
    // key is not matched, such as StringNotLike or ArnNotLike, and the right key is not
    // present, the condition is true."
    Case {
        name: "StringNotLike with the key absent is true",
        source: OPS,
        identity: &[
            ALLOW_S3,
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:ListBucket", "Resource": "*",
            "Condition": {"StringNotLike": {"s3:prefix": "home/*"}}}}"#,
        ],
        action: "s3:ListBucket",
        arn: "arn:aws:s3:::bucket",
        expected: DENY_IDENTITY,
        ..BASE
    },
    // Source: same note ("This logic applies to all condition operators except ...IfExists and
    // Null check"), for a negated numeric operator.
    Case {
        name: "NumericNotEquals with the key absent is true",
        source: OPS,
        identity: &[
            ALLOW_S3,
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:ListBucket", "Resource": "*",
            "Condition": {"NumericNotEquals": {"s3:max-keys": "10"}}}}"#,
        ],
        action: "s3:ListBucket",
        arn: "arn:aws:s3:::bucket",
        expected: DENY_IDENTITY,
        ..BASE
    },
    // Source: Conditions with multiple context keys or values — "If a single negated matching
    // condition operator includes multiple values for a context key, those values are
    // evaluated using a logical NOR." (department hr is listed: StringNotEquals is false, the
    // deny does not apply.) —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
    Case {
        name: "negated operator with several values is a NOR: a listed value escapes the deny",
        source: MULTI,
        identity: &[ALLOW_S3],
        resource: Some(MULTI_KEYS_NEGATED_DENY),
        caller: MARY_222,
        action: "s3:ListBucket",
        arn: "arn:aws:s3:::amzn-s3-demo-bucket",
        context: &[
            ("aws:PrincipalTag/department", &["hr"]),
            ("aws:PrincipalTag/role", &["audit"]),
            ("aws:PrincipalArn", &["arn:aws:iam::222222222222:user/Mary"]),
        ],
        ..BASE
    },
    // Source: same — no listed value anywhere: every negated condition holds, the deny
    // applies.
    Case {
        name: "negated operator with several values is a NOR: unlisted values are denied",
        source: MULTI,
        identity: &[ALLOW_S3],
        resource: Some(MULTI_KEYS_NEGATED_DENY),
        caller: JOHN_222,
        action: "s3:ListBucket",
        arn: "arn:aws:s3:::amzn-s3-demo-bucket",
        context: &[
            ("aws:PrincipalTag/department", &["marketing"]),
            ("aws:PrincipalTag/role", &["developer"]),
            ("aws:PrincipalArn", &["arn:aws:iam::222222222222:user/John"]),
        ],
        expected: DENY_RESOURCE,
        ..BASE
    },
    // Source: same page — "If your policy statement has multiple context keys attached to a
    // single condition operator, the context keys are evaluated using a logical AND" and
    // "multiple condition operators ... logical AND"; values of one key are an OR.
    Case {
        name: "several keys and operators are an AND: all hold",
        source: MULTI,
        identity: &[MULTI_KEYS_ALLOW],
        caller: MARY_222,
        action: "s3:ListBucket",
        arn: "arn:aws:s3:::amzn-s3-demo-bucket",
        context: &[
            ("aws:PrincipalTag/department", &["legal"]),
            ("aws:PrincipalTag/role", &["security"]),
            ("aws:PrincipalArn", &["arn:aws:iam::222222222222:user/Mary"]),
        ],
        ..BASE
    },
    // Source: same — one key missing its match (role) fails the AND.
    Case {
        name: "several keys and operators are an AND: one fails",
        source: MULTI,
        identity: &[MULTI_KEYS_ALLOW],
        caller: MARY_222,
        action: "s3:ListBucket",
        arn: "arn:aws:s3:::amzn-s3-demo-bucket",
        context: &[
            ("aws:PrincipalTag/department", &["legal"]),
            ("aws:PrincipalTag/role", &["developer"]),
            ("aws:PrincipalArn", &["arn:aws:iam::222222222222:user/Mary"]),
        ],
        expected: NO_IDENTITY,
        ..BASE
    },
    // ======================= Numeric, Date, Bool, Binary =======================

    // Source: Condition operators, "Numeric condition operators" — "the requester can list up
    // to 10 objects in example_bucket at a time."
    Case {
        name: "NumericLessThanEquals s3:max-keys 10: 10 allowed",
        source: OPS,
        identity: &[MAX_KEYS],
        action: "s3:ListBucket",
        arn: "arn:aws:s3:::example_bucket",
        context: &[("s3:max-keys", &["10"])],
        ..BASE
    },
    // Source: same.
    Case {
        name: "NumericLessThanEquals s3:max-keys 10: 11 refused",
        source: OPS,
        identity: &[MAX_KEYS],
        action: "s3:ListBucket",
        arn: "arn:aws:s3:::example_bucket",
        context: &[("s3:max-keys", &["11"])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same — "If the key that you specify in a policy condition is not present in the
    // request context, the values do not match."
    Case {
        name: "NumericLessThanEquals with the key absent is false",
        source: OPS,
        identity: &[MAX_KEYS],
        action: "s3:ListBucket",
        arn: "arn:aws:s3:::example_bucket",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: Condition operators, "Date condition operators" — "the temporary security
    // credentials used to make the request were issued in 2020."
    Case {
        name: "DateGreaterThan aws:TokenIssueTime: fresh credentials allowed",
        source: OPS,
        identity: &[TOKEN_ISSUED_2020],
        caller: APP_SESSION,
        action: "iam:ListAccessKeys",
        arn: "arn:aws:iam::123456789012:user/alice",
        context: &[("aws:TokenIssueTime", &["2020-06-01T12:00:00Z"])],
        ..BASE
    },
    // Source: same — "The key is not present in AWS CLI, AWS API, or AWS SDK requests that are
    // made using access keys. In this example, if an IAM user attempts to view or edit an
    // access key, the request is denied."
    Case {
        name: "DateGreaterThan aws:TokenIssueTime: long-term keys (no key) refused",
        source: OPS,
        identity: &[TOKEN_ISSUED_2020],
        action: "iam:ListAccessKeys",
        arn: "arn:aws:iam::123456789012:user/alice",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: IAM User Guide, "AWS: Allows access based on date and time" (inside the range). —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws-dates.html
    Case {
        name: "aws:CurrentTime inside the date range",
        source: DATES,
        identity: &[DATE_RANGE],
        action: "service-prefix:action-name",
        arn: "*",
        context: &[("aws:CurrentTime", &["2020-05-15T08:30:00Z"])],
        ..BASE
    },
    // Source: same (after the range).
    Case {
        name: "aws:CurrentTime after the date range",
        source: DATES,
        identity: &[DATE_RANGE],
        action: "service-prefix:action-name",
        arn: "*",
        context: &[("aws:CurrentTime", &["2020-07-01T00:00:00Z"])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: Condition operators, "Date condition operators" — "You must specify date/time
    // values with one of the W3C implementations of the ISO 8601 date formats or in epoch
    // (UNIX) time." (Policy in epoch seconds, request in ISO 8601: 1585699200 is
    // 2020-04-01T00:00:00Z.)
    Case {
        name: "dates compare across epoch and ISO 8601 forms",
        source: OPS,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
            "Condition": {"DateGreaterThanEquals": {"aws:CurrentTime": "1585699200"}}}}"#,
        ],
        action: "s3:ListAllMyBuckets",
        arn: "*",
        context: &[("aws:CurrentTime", &["2020-04-01T00:00:00Z"])],
        ..BASE
    },
    // Source: same sentence; the W3C note's "Complete date plus hours and minutes" form
    // (YYYY-MM-DDThh:mmTZD, e.g. 1997-07-16T19:20+01:00), compared across time zones.
    Case {
        name: "DateEquals with a W3C hours-and-minutes date in another zone",
        source: OPS,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
            "Condition": {"DateEquals": {"aws:CurrentTime": "1997-07-16T19:20+01:00"}}}}"#,
        ],
        action: "s3:ListAllMyBuckets",
        arn: "*",
        context: &[("aws:CurrentTime", &["1997-07-16T18:20:00Z"])],
        ..BASE
    },
    // Source: Condition operators, "Boolean condition operators" — the policy denies S3
    // "if the request is not over SSL".
    Case {
        name: "Bool aws:SecureTransport false: plain HTTP denied",
        source: OPS,
        identity: &[ALLOW_S3, SECURE_TRANSPORT],
        action: "s3:GetObject",
        arn: "arn:aws:s3:::DOC-EXAMPLE-BUCKET/report.pdf",
        context: &[("aws:SecureTransport", &["false"])],
        expected: DENY_IDENTITY,
        ..BASE
    },
    // Source: same — over TLS the deny does not apply and the other policy allows.
    Case {
        name: "Bool aws:SecureTransport false: TLS request allowed",
        source: OPS,
        identity: &[ALLOW_S3, SECURE_TRANSPORT],
        action: "s3:GetObject",
        arn: "arn:aws:s3:::DOC-EXAMPLE-BUCKET/report.pdf",
        context: &[("aws:SecureTransport", &["true"])],
        ..BASE
    },
    // Source: Condition operators, "Binary condition operators" — "It compares the value of
    // the specified key byte for byte against a base-64 encoded representation of the binary
    // value in the policy."
    Case {
        name: "BinaryEquals: the same bytes",
        source: OPS,
        identity: &[BINARY],
        action: "someservice:Put",
        arn: "*",
        context: &[("key", &["QmluYXJ5VmFsdWVJbkJhc2U2NA=="])],
        ..BASE
    },
    // Source: same.
    Case {
        name: "BinaryEquals: other bytes",
        source: OPS,
        identity: &[BINARY],
        action: "someservice:Put",
        arn: "*",
        context: &[("key", &["T3RoZXJCeXRlcw=="])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // ======================= IP address operators (aws:SourceIp) =======================

    // Source: Condition operators, "IP address condition operators" — "the request must come
    // from the IP range 203.0.113.0 to 203.0.113.255."
    Case {
        name: "IpAddress 203.0.113.0/24: inside",
        source: OPS,
        identity: &[SOURCE_IP],
        action: "someservice:Do",
        arn: "*",
        context: &[("aws:SourceIp", &["203.0.113.77"])],
        ..BASE
    },
    // Source: same.
    Case {
        name: "IpAddress 203.0.113.0/24: outside",
        source: OPS,
        identity: &[SOURCE_IP],
        action: "someservice:Do",
        arn: "*",
        context: &[("aws:SourceIp", &["198.51.100.7"])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same — "The value must be in the standard CIDR format (for example,
    // 203.0.113.0/24 or 2001:DB8:1234:5678::/64)".
    Case {
        name: "IpAddress 2001:DB8:1234:5678::/64: IPv6 inside",
        source: OPS,
        identity: &[SOURCE_IP],
        action: "someservice:Do",
        arn: "*",
        context: &[("aws:SourceIp", &["2001:db8:1234:5678::abcd"])],
        ..BASE
    },
    // Source: same — "If you specify an IP address without the associated routing prefix, IAM
    // uses the default prefix value of /32."
    Case {
        name: "IpAddress without a prefix is a /32",
        source: OPS,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "someservice:*", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.7"}}}}"#,
        ],
        action: "someservice:Do",
        arn: "*",
        context: &[("aws:SourceIp", &["203.0.113.8"])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: IAM User Guide, "AWS: Denies access to AWS based on the source IP" (request from
    // outside both ranges, not via a service: denied). —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-ip.html
    Case {
        name: "NotIpAddress deny: outside both ranges is denied",
        source: DENY_IP,
        identity: &[ALLOW_ALL, DENY_OUTSIDE_IPS],
        action: "ec2:DescribeInstances",
        arn: "*",
        context: &[("aws:SourceIp", &["198.51.100.7"]), ("aws:ViaAWSService", &["false"])],
        expected: DENY_IDENTITY,
        ..BASE
    },
    // Source: same (inside the second range: NotIpAddress over several values is false).
    Case {
        name: "NotIpAddress deny: inside one of the ranges is allowed",
        source: DENY_IP,
        identity: &[ALLOW_ALL, DENY_OUTSIDE_IPS],
        action: "ec2:DescribeInstances",
        arn: "*",
        context: &[("aws:SourceIp", &["203.0.113.200"]), ("aws:ViaAWSService", &["false"])],
        ..BASE
    },
    // Source: same — the Bool aws:ViaAWSService condition lets requests a service makes on
    // the user's behalf through.
    Case {
        name: "NotIpAddress deny: a call through an AWS service is not denied",
        source: DENY_IP,
        identity: &[ALLOW_ALL, DENY_OUTSIDE_IPS],
        action: "ec2:DescribeInstances",
        arn: "*",
        context: &[("aws:SourceIp", &["198.51.100.7"]), ("aws:ViaAWSService", &["true"])],
        ..BASE
    },
    // ======================= Null and ...IfExists =======================

    // Source: Condition operators, "Condition operator to check existence of condition keys" —
    // "the user must not be using temporary credentials (the key must not exist)".
    Case {
        name: "Null aws:TokenIssueTime true: long-term credentials allowed",
        source: OPS,
        identity: &[NULL_TOKEN],
        action: "ec2:DescribeInstances",
        arn: "*",
        ..BASE
    },
    // Source: same.
    Case {
        name: "Null aws:TokenIssueTime true: temporary credentials refused",
        source: OPS,
        identity: &[NULL_TOKEN],
        caller: APP_SESSION,
        action: "ec2:DescribeInstances",
        arn: "*",
        context: &[("aws:TokenIssueTime", &["2020-06-01T12:00:00Z"])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: Condition operators, "...IfExists condition operators" — "If the resource being
    // checked does not have that condition key, then don't worry about it."
    Case {
        name: "StringLikeIfExists ec2:InstanceType: resources without the key pass",
        source: OPS,
        identity: &[RUN_INSTANCE_IF_EXISTS],
        action: "ec2:RunInstances",
        arn: "arn:aws:ec2:us-east-1::image/ami-12345678",
        ..BASE
    },
    // Source: same — "allow the action only if the key value begins with t1., t2., or m3.".
    Case {
        name: "StringLikeIfExists ec2:InstanceType: t2.micro allowed",
        source: OPS,
        identity: &[RUN_INSTANCE_IF_EXISTS],
        action: "ec2:RunInstances",
        arn: "arn:aws:ec2:us-east-1:123456789012:instance/*",
        context: &[("ec2:InstanceType", &["t2.micro"])],
        ..BASE
    },
    // Source: same.
    Case {
        name: "StringLikeIfExists ec2:InstanceType: c5.large refused",
        source: OPS,
        identity: &[RUN_INSTANCE_IF_EXISTS],
        action: "ec2:RunInstances",
        arn: "arn:aws:ec2:us-east-1:123456789012:instance/*",
        context: &[("ec2:InstanceType", &["c5.large"])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same section — "If you are using an "Effect": "Deny" element with a negated
    // condition operator like StringNotEqualsIfExists, the request is still denied even if
    // the tag is missing."
    Case {
        name: "Deny with StringNotEqualsIfExists still denies when the tag is missing",
        source: OPS,
        identity: &[
            ALLOW_ALL,
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:ResourceTag/team": "platform"}}}}"#,
        ],
        action: "ec2:TerminateInstances",
        arn: "arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0",
        expected: DENY_IDENTITY,
        ..BASE
    },
    // ======================= ForAllValues / ForAnyValue =======================

    // Source: IAM User Guide, set operators — "If the user makes a request to DynamoDB to get
    // the attributes PostDateTime and Message from the Threads table, the request is
    // allowed". — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
    Case {
        name: "ForAllValues:StringLike: every requested attribute listed",
        source: SETS,
        identity: &[THREAD_ALL_VALUES],
        action: "dynamodb:GetItem",
        arn: THREAD,
        context: &[("dynamodb:requestedAttributes", &["PostDateTime", "Message"])],
        ..BASE
    },
    // Source: same — "There's no match for UserName, so the condition operator returns false,
    // and the policy does not allow the request."
    Case {
        name: "ForAllValues:StringLike: UserName is not listed",
        source: SETS,
        identity: &[THREAD_ALL_VALUES],
        action: "dynamodb:GetItem",
        arn: THREAD,
        context: &[("dynamodb:requestedAttributes", &["PostDateTime", "UserName"])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same — "The last test returns true, so the condition is true; because the
    // Effect element is set to Deny, the request is denied."
    Case {
        name: "ForAnyValue:StringLike deny: PostDateTime among the attributes",
        source: SETS,
        identity: &[ALLOW_DYNAMODB, THREAD_ANY_VALUE_DENY],
        action: "dynamodb:PutItem",
        arn: THREAD,
        context: &[(
            "dynamodb:requestedAttributes",
            &["UserName", "Message", "PostDateTime"],
        )],
        expected: DENY_IDENTITY,
        ..BASE
    },
    // Source: same — "Imagine the user instead makes a request to perform PutItem with just
    // the UserName attribute ... the request is not denied by this policy."
    Case {
        name: "ForAnyValue:StringLike deny: UserName alone is not denied",
        source: SETS,
        identity: &[ALLOW_DYNAMODB, THREAD_ANY_VALUE_DENY],
        action: "dynamodb:PutItem",
        arn: THREAD,
        context: &[("dynamodb:requestedAttributes", &["UserName"])],
        ..BASE
    },
    // Source: IAM User Guide, Multivalued context key examples — "The ForAllValues set
    // operator also returns true if there are no context keys in the request." —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html
    Case {
        name: "ForAllValues with the key absent is true (deny applies)",
        source: MV_EXAMPLES,
        identity: &[ALLOW_IAM, DENY_TAG_KEY1],
        action: "iam:TagUser",
        arn: "arn:aws:iam::123456789012:user/bob",
        expected: DENY_IDENTITY,
        ..BASE
    },
    // Source: same page — "In order for context key aws:TagKeys to match, every value in the
    // request context must match at least one value in the policy."
    Case {
        name: "ForAllValues:StringLike key1*: all keys prefixed, denied",
        source: MV_EXAMPLES,
        identity: &[ALLOW_IAM, DENY_TAG_KEY1],
        action: "iam:TagUser",
        arn: "arn:aws:iam::123456789012:user/bob",
        context: &[("aws:TagKeys", &["key1-a", "key1-b"])],
        expected: DENY_IDENTITY,
        ..BASE
    },
    // Source: same — one key outside the pattern, so the ForAllValues condition is false.
    Case {
        name: "ForAllValues:StringLike key1*: one other key, not denied",
        source: MV_EXAMPLES,
        identity: &[ALLOW_IAM, DENY_TAG_KEY1],
        action: "iam:TagUser",
        arn: "arn:aws:iam::123456789012:user/bob",
        context: &[("aws:TagKeys", &["key1-a", "key2"])],
        ..BASE
    },
    // Source: same page — "You can prevent missing context keys or context keys with empty
    // values from evaluating to true by including a Null condition operator in your policy
    // with a value of false".
    Case {
        name: "ForAllValues guarded by Null false: absent key no longer denies",
        source: MV_EXAMPLES,
        identity: &[ALLOW_IAM, DENY_TAG_KEY1_NULL_GUARD],
        action: "iam:TagUser",
        arn: "arn:aws:iam::123456789012:user/bob",
        ..BASE
    },
    // Source: IAM User Guide, set operators, Note — "If the key values in the request resolve
    // to an empty data set (for example, an empty string), a condition operator modified by
    // ForAllValues returns true, and a condition operator modified by ForAnyValue returns
    // false." (The key present with no values.)
    Case {
        name: "ForAllValues with an empty set of values is true",
        source: SETS,
        identity: &[SECRET_TAG_KEYS],
        action: "secretsmanager:CreateSecret",
        arn: "*",
        context: &[("aws:TagKeys", &[])],
        ..BASE
    },
    // Once wrong: the same Note names "an empty string" as an empty data set for which ForAllValues
    // returns true; the evaluator compares "" as an ordinary value (it is not among
    // environment/cost-center), so the condition is false and the request implicitly denied.
    // Source: IAM User Guide, Creating a condition that tests multiple key values (set
    // operators), Note.
    Case {
        name: "ForAllValues with an empty string is true",
        source: SETS,
        identity: &[SECRET_TAG_KEYS],
        action: "secretsmanager:CreateSecret",
        arn: "*",
        context: &[("aws:TagKeys", &[""])],
        ..BASE
    },
    // Source: same Note — ForAnyValue over an empty data set is false.
    Case {
        name: "ForAnyValue with an empty set of values is false",
        source: SETS,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}}}"#,
        ],
        action: "secretsmanager:TagResource",
        arn: "*",
        context: &[("aws:TagKeys", &[])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: Condition operators, Important note — "If the key that you specify in a policy
    // condition is not present in the request context, the values do not match and the
    // condition is false." (ForAllValues is the documented exception; ForAnyValue is not.)
    Case {
        name: "ForAnyValue with the key absent is false",
        source: OPS,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}}}"#,
        ],
        action: "secretsmanager:TagResource",
        arn: "*",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: Controlling access using tags, "Controlling tag keys" — "allows creating and
    // tagging a Secrets Manager secret, but only with the tag keys environment or cost-center".
    // — https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html
    Case {
        name: "aws:TagKeys ForAllValues:StringEquals: allowed keys only",
        source: TAGS,
        identity: &[SECRET_TAG_KEYS],
        action: "secretsmanager:TagResource",
        arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
        context: &[("aws:TagKeys", &["environment", "cost-center"])],
        ..BASE
    },
    // Source: same.
    Case {
        name: "aws:TagKeys ForAllValues:StringEquals: an extra key refused",
        source: TAGS,
        identity: &[SECRET_TAG_KEYS],
        action: "secretsmanager:TagResource",
        arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
        context: &[("aws:TagKeys", &["environment", "owner"])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: Conditions with multiple context keys or values (NOR for a negated operator,
    // applied per request value) with set operators — deny when any tag key is not one of the
    // allowed keys.
    Case {
        name: "ForAnyValue:StringNotEquals deny: an unlisted tag key is denied",
        source: MULTI,
        identity: &[
            ALLOW_ALL,
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "*",
            "Condition": {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["environment", "cost-center"]}}}}"#,
        ],
        action: "ec2:CreateTags",
        arn: "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
        context: &[("aws:TagKeys", &["environment", "owner"])],
        expected: DENY_IDENTITY,
        ..BASE
    },
    // Source: same — every key listed: the condition is false, no deny.
    Case {
        name: "ForAnyValue:StringNotEquals deny: listed tag keys pass",
        source: MULTI,
        identity: &[
            ALLOW_ALL,
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "*",
            "Condition": {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["environment", "cost-center"]}}}}"#,
        ],
        action: "ec2:CreateTags",
        arn: "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
        context: &[("aws:TagKeys", &["cost-center", "environment"])],
        ..BASE
    },
    // Source: Controlling access using tags, "Controlling access to requests" —
    // aws:RequestTag/environment must be preprod or production, and only that key.
    Case {
        name: "aws:RequestTag/environment production with only that key",
        source: TAGS,
        identity: &[CREATE_TAGS_REQUEST_TAG],
        action: "ec2:CreateTags",
        arn: "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
        context: &[
            ("aws:RequestTag/environment", &["production"]),
            ("aws:TagKeys", &["environment"]),
        ],
        ..BASE
    },
    // Source: same — "This stops users from including other keys, such as accidentally using
    // Environment instead of environment." (TagKeys values compare with case.)
    Case {
        name: "aws:TagKeys refuses Environment for environment",
        source: TAGS,
        identity: &[CREATE_TAGS_REQUEST_TAG],
        action: "ec2:CreateTags",
        arn: "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
        context: &[
            ("aws:RequestTag/environment", &["production"]),
            ("aws:TagKeys", &["Environment"]),
        ],
        expected: NO_IDENTITY,
        ..BASE
    },
    // ======================= Policy variables =======================

    // Source: Controlling access using tags, "Controlling access to resources" — "If a user
    // named richard-roe attempts to start an Amazon EC2 instance, the instance must be tagged
    // Owner=richard-roe or owner=richard-roe ... because condition key names are not
    // case-sensitive."
    Case {
        name: "${aws:username} in a condition value, tag key in another case",
        source: TAGS,
        identity: &[EC2_OWNER],
        caller: Who::User("arn:aws:iam::123456789012:user/richard-roe"),
        action: "ec2:StartInstances",
        arn: "arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0",
        context: &[
            ("aws:username", &["richard-roe"]),
            ("ec2:ResourceTag/owner", &["richard-roe"]),
        ],
        ..BASE
    },
    // Source: same — "Otherwise he will be denied access."
    Case {
        name: "${aws:username} in a condition value: someone else's instance",
        source: TAGS,
        identity: &[EC2_OWNER],
        caller: Who::User("arn:aws:iam::123456789012:user/richard-roe"),
        action: "ec2:StartInstances",
        arn: "arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0",
        context: &[
            ("aws:username", &["richard-roe"]),
            ("ec2:ResourceTag/Owner", &["mary-major"]),
        ],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: IAM User Guide, Variables and tags, "Resource element" — "It gives each of the
    // users in the group full programmatic access to a user-specific object". —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
    Case {
        name: "${aws:username} in Resource: David's own object",
        source: VARS,
        identity: &[MYBUCKET_HOME],
        caller: DAVID,
        action: "s3:GetObject",
        arn: "arn:aws:s3:::mybucket/David/notes.txt",
        context: &[("aws:username", &["David"])],
        ..BASE
    },
    // Source: same.
    Case {
        name: "${aws:username} in Resource: another user's object",
        source: VARS,
        identity: &[MYBUCKET_HOME],
        caller: DAVID,
        action: "s3:GetObject",
        arn: "arn:aws:s3:::mybucket/Adele/notes.txt",
        context: &[("aws:username", &["David"])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same page, "Principal key values" — for a role session aws:username is "not
    // present", and "any attempt to match it fails and causes the statement to be invalid".
    Case {
        name: "${aws:username} unresolved for a role session matches nothing",
        source: VARS,
        identity: &[MYBUCKET_HOME],
        caller: APP_SESSION,
        action: "s3:GetObject",
        arn: "arn:aws:s3:::mybucket/s1/notes.txt",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same page — the SQS queue named after the user ("${aws:username}-queue").
    Case {
        name: "${aws:username}-queue in an SQS ARN",
        source: VARS,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": [{"Sid": "AllQueueActions", "Effect": "Allow",
            "Action": "sqs:*", "Resource": "arn:aws:sqs:us-east-2:*:${aws:username}-queue"}]}"#,
        ],
        action: "sqs:SendMessage",
        arn: "arn:aws:sqs:us-east-2:123456789012:alice-queue",
        context: &[("aws:username", &["alice"])],
        ..BASE
    },
    // Source: same page, "Specifying default values" — "To add a default value to a variable,
    // surround the default value with single quotes (' '), and separate the variable text
    // and the default value with a comma and space (, )."
    Case {
        name: "policy variable default value when the tag is absent",
        source: VARS,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/${aws:PrincipalTag/team, 'company-wide'}/*"}}"#,
        ],
        action: "s3:GetObject",
        arn: "arn:aws:s3:::amzn-s3-demo-bucket/company-wide/handbook.pdf",
        ..BASE
    },
    // Source: same page, "Special characters" — "${*} - use where you need an * (asterisk)
    // character" (a literal asterisk matches itself).
    Case {
        name: "${*} matches a literal asterisk",
        source: VARS,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::mybucket/${*}"}}"#,
        ],
        action: "s3:GetObject",
        arn: "arn:aws:s3:::mybucket/*",
        ..BASE
    },
    // Once wrong: `${*}` was substituted by `*` before wildcard matching, so it becomes a wildcard and
    // matches any key. Doc: "If these special characters are part of the string, you are
    // trying to match and you inserted them literally they would be misinterpreted. For
    // example, inserting an * asterisk in the string would be interpreted as a wildcard,
    // matching any characters, instead of as a literal *. In these cases, you can use the
    // following predefined policy variables: ${*} - use where you need an * (asterisk)
    // character."
    // Source: IAM User Guide, IAM policy elements: Variables and tags, "Special characters".
    Case {
        name: "${*} is a literal asterisk, not a wildcard",
        source: VARS,
        identity: &[
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::mybucket/${*}"}}"#,
        ],
        action: "s3:GetObject",
        arn: "arn:aws:s3:::mybucket/anything.txt",
        expected: NO_IDENTITY,
        ..BASE
    },
    // Once wrong: the parser dropped the Version element and substitutes variables in every document.
    // Doc: "If you do not include a Version element, the value defaults to 2008-10-17 ...
    // variables such as ${aws:username} aren't recognized as variables and are instead
    // treated as literal strings in the policy." Under 2008-10-17 the Resource below names
    // the literal key `${aws:username}/...`, not David's folder.
    // Source: IAM User Guide, IAM JSON policy elements: Version.
    Case {
        name: "Version 2008-10-17 keeps ${aws:username} literal",
        source: VERSION,
        identity: &[
            r#"{"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"],
            "Resource": ["arn:aws:s3:::mybucket/${aws:username}/*"]}]}"#,
        ],
        caller: DAVID,
        action: "s3:GetObject",
        arn: "arn:aws:s3:::mybucket/David/notes.txt",
        context: &[("aws:username", &["David"])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // ======================= DynamoDB fine-grained access control =======================

    // Source: Amazon DynamoDB Developer Guide, Using IAM policy conditions for fine-grained
    // access control — GameScores: "Users can only access game data that's associated with
    // their user ID" (dynamodb:LeadingKeys = ${www.amazon.com:user_id}). —
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
    Case {
        name: "dynamodb:LeadingKeys = ${www.amazon.com:user_id}: own item",
        source: DDB_FGAC,
        identity: &[GAME_SCORES],
        caller: Who::Session("arn:aws:sts::123456789012:assumed-role/GameRole/web-identity"),
        action: "dynamodb:GetItem",
        arn: GAME_SCORES_TABLE,
        context: &[
            ("www.amazon.com:user_id", &["amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A"]),
            ("dynamodb:LeadingKeys", &["amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A"]),
            ("dynamodb:Attributes", &["UserId", "GameTitle", "TopScore"]),
            ("dynamodb:Select", &["SPECIFIC_ATTRIBUTES"]),
        ],
        ..BASE
    },
    // Source: same — another user's partition key.
    Case {
        name: "dynamodb:LeadingKeys = ${www.amazon.com:user_id}: another user's item",
        source: DDB_FGAC,
        identity: &[GAME_SCORES],
        caller: Who::Session("arn:aws:sts::123456789012:assumed-role/GameRole/web-identity"),
        action: "dynamodb:GetItem",
        arn: GAME_SCORES_TABLE,
        context: &[
            ("www.amazon.com:user_id", &["amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A"]),
            ("dynamodb:LeadingKeys", &["amzn1.account.SOMEONEELSE"]),
            ("dynamodb:Attributes", &["UserId", "GameTitle", "TopScore"]),
        ],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same — ForAllValues over the requested attributes: PersonalDetails is not
    // among the listed ones.
    Case {
        name: "dynamodb:Attributes: an unlisted attribute is refused",
        source: DDB_FGAC,
        identity: &[GAME_SCORES],
        caller: Who::Session("arn:aws:sts::123456789012:assumed-role/GameRole/web-identity"),
        action: "dynamodb:GetItem",
        arn: GAME_SCORES_TABLE,
        context: &[
            ("www.amazon.com:user_id", &["amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A"]),
            ("dynamodb:LeadingKeys", &["amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A"]),
            ("dynamodb:Attributes", &["UserId", "PersonalDetails"]),
        ],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same — StringEqualsIfExists dynamodb:Select: a Query selecting ALL_ATTRIBUTES is
    // refused.
    Case {
        name: "dynamodb:Select ALL_ATTRIBUTES is refused",
        source: DDB_FGAC,
        identity: &[GAME_SCORES],
        caller: Who::Session("arn:aws:sts::123456789012:assumed-role/GameRole/web-identity"),
        action: "dynamodb:Query",
        arn: GAME_SCORES_TABLE,
        context: &[
            ("www.amazon.com:user_id", &["amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A"]),
            ("dynamodb:LeadingKeys", &["amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A"]),
            ("dynamodb:Attributes", &["UserId", "TopScore"]),
            ("dynamodb:Select", &["ALL_ATTRIBUTES"]),
        ],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same pattern with ${aws:username}: a BatchGetItem whose keys include another
    // user's partition fails ForAllValues.
    Case {
        name: "dynamodb:LeadingKeys = ${aws:username}: a batch with another user's key",
        source: DDB_FGAC,
        identity: &[GAME_SCORES_BY_USERNAME],
        action: "dynamodb:BatchGetItem",
        arn: GAME_SCORES_TABLE,
        context: &[
            ("aws:username", &["alice"]),
            ("dynamodb:LeadingKeys", &["alice", "bob"]),
        ],
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same — every key is the user's own.
    Case {
        name: "dynamodb:LeadingKeys = ${aws:username}: a batch of own keys",
        source: DDB_FGAC,
        identity: &[GAME_SCORES_BY_USERNAME],
        action: "dynamodb:BatchGetItem",
        arn: GAME_SCORES_TABLE,
        context: &[("aws:username", &["alice"]), ("dynamodb:LeadingKeys", &["alice"])],
        ..BASE
    },
    // Source: IAM User Guide, "Amazon DynamoDB: Allows access to specific attributes" — "The
    // dynamodb:Select requirement prevents the API action from returning any attributes that
    // aren't allowed". —
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_dynamodb_attributes.html
    Case {
        name: "DynamoDB specific attributes: listed columns with SPECIFIC_ATTRIBUTES",
        source: DDB_ATTRS,
        identity: &[DDB_SPECIFIC_ATTRIBUTES],
        action: "dynamodb:Query",
        arn: TABLE_NAME,
        context: &[
            ("dynamodb:Attributes", &["column-name-1", "column-name-3"]),
            ("dynamodb:Select", &["SPECIFIC_ATTRIBUTES"]),
        ],
        ..BASE
    },
    // Source: same.
    Case {
        name: "DynamoDB specific attributes: an unlisted column",
        source: DDB_ATTRS,
        identity: &[DDB_SPECIFIC_ATTRIBUTES],
        action: "dynamodb:UpdateItem",
        arn: TABLE_NAME,
        context: &[("dynamodb:Attributes", &["column-name-1", "secret-column"])],
        expected: NO_IDENTITY,
        ..BASE
    },
    // ======================= AWS KMS key policies =======================

    // Source: AWS KMS Developer Guide, Default key policy, "Allows access to the AWS account
    // and enables IAM policies" — "It allows the account to use IAM policies to allow access
    // to the KMS key, in addition to the key policy." —
    // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
    Case {
        name: "KMS default key policy delegates: IAM allow grants",
        source: KMS_KEY_POLICY,
        identity: &[ALLOW_KMS],
        resource: Some(KMS_DEFAULT_KEY_POLICY),
        resource_policy_required: true,
        caller: KMS_OTHER_USER,
        action: "kms:Decrypt",
        arn: KMS_KEY,
        ..BASE
    },
    // Source: same — delegation needs the IAM policy to allow.
    Case {
        name: "KMS default key policy delegates: without an IAM allow, refused",
        source: KMS_KEY_POLICY,
        resource: Some(KMS_DEFAULT_KEY_POLICY),
        resource_policy_required: true,
        caller: KMS_OTHER_USER,
        action: "kms:Decrypt",
        arn: KMS_KEY,
        expected: NO_IDENTITY,
        ..BASE
    },
    // Source: same page — "Unlike other AWS resource policies, an AWS KMS key policy does not
    // automatically give permission to the account or any of its identities ... Without this
    // permission, IAM policies that allow access to the key are ineffective".
    Case {
        name: "KMS key policy without the account statement: IAM allow is ineffective",
        source: KMS_KEY_POLICY,
        identity: &[ALLOW_KMS],
        resource: Some(KMS_USER_ONLY_KEY_POLICY),
        resource_policy_required: true,
        caller: KMS_OTHER_USER,
        action: "kms:Decrypt",
        arn: KMS_KEY,
        expected: NO_RESOURCE,
        ..BASE
    },
    // Source: same sentence — "... although IAM policies that deny access to the key are
    // still effective."
    Case {
        name: "KMS key policy naming the user: IAM deny still effective",
        source: KMS_KEY_POLICY,
        identity: &[DENY_KMS],
        resource: Some(KMS_USER_ONLY_KEY_POLICY),
        resource_policy_required: true,
        caller: KMS_USER,
        action: "kms:Decrypt",
        arn: KMS_KEY,
        expected: DENY_IDENTITY,
        ..BASE
    },
    // Source: Key policies in AWS KMS (a key policy statement naming a principal grants on
    // its own, without an IAM policy).
    Case {
        name: "KMS key policy naming the user grants without IAM",
        source: KMS_KEY_POLICY,
        resource: Some(KMS_USER_ONLY_KEY_POLICY),
        resource_policy_required: true,
        caller: KMS_USER,
        action: "kms:Encrypt",
        arn: KMS_KEY,
        ..BASE
    },
    // Source: Default key policy — the account statement gives the root user full access to
    // the key ("It gives the AWS account that owns the KMS key full access to the KMS key").
    Case {
        name: "KMS root with the default key policy",
        source: KMS_KEY_POLICY,
        resource: Some(KMS_DEFAULT_KEY_POLICY),
        resource_policy_required: true,
        caller: KMS_ROOT,
        action: "kms:ScheduleKeyDeletion",
        arn: KMS_KEY,
        ..BASE
    },
    // Source: same page — a key policy must grant even the root user ("an AWS KMS key policy
    // does not automatically give permission to the account").
    Case {
        name: "KMS root without the account statement is refused",
        source: KMS_KEY_POLICY,
        resource: Some(KMS_USER_ONLY_KEY_POLICY),
        resource_policy_required: true,
        caller: KMS_ROOT,
        action: "kms:ScheduleKeyDeletion",
        arn: KMS_KEY,
        expected: NO_RESOURCE,
        ..BASE
    },
    // Source: AWS KMS Developer Guide, kms:ViaService — the key policy lets ExampleUser use the
    // key only through Amazon EC2 or Amazon RDS in us-west-2. —
    // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
    Case {
        name: "kms:ViaService ec2.us-west-2: through EC2",
        source: KMS_CONDITIONS,
        resource: Some(KMS_VIA_SERVICE),
        resource_policy_required: true,
        caller: KMS_USER,
        action: "kms:GenerateDataKeyWithoutPlaintext",
        arn: KMS_KEY,
        context: &[("kms:ViaService", &["ec2.us-west-2.amazonaws.com"])],
        ..BASE
    },
    // Source: same — a direct call carries no kms:ViaService.
    Case {
        name: "kms:ViaService: a direct call is refused",
        source: KMS_CONDITIONS,
        resource: Some(KMS_VIA_SERVICE),
        resource_policy_required: true,
        caller: KMS_USER,
        action: "kms:Decrypt",
        arn: KMS_KEY,
        expected: NO_RESOURCE,
        ..BASE
    },
    // Source: AWS KMS Developer Guide, kms:CallerAccount — the AWS managed key for EBS
    // allows "all principals in the account that are authorized to use EBS". —
    // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
    Case {
        name: "kms:CallerAccount with kms:ViaService: the account's principal through EBS",
        source: KMS_CONDITIONS,
        resource: Some(KMS_CALLER_ACCOUNT),
        resource_policy_required: true,
        caller: KMS_OTHER_USER,
        action: "kms:CreateGrant",
        arn: KMS_KEY,
        context: &[
            ("kms:CallerAccount", &["111122223333"]),
            ("kms:ViaService", &["ec2.us-west-2.amazonaws.com"]),
        ],
        ..BASE
    },
    // Source: same — a caller from another account does not match kms:CallerAccount.
    Case {
        name: "kms:CallerAccount: another account is refused",
        source: KMS_CONDITIONS,
        resource: Some(KMS_CALLER_ACCOUNT),
        resource_policy_required: true,
        caller: BOB_444,
        action: "kms:Decrypt",
        arn: KMS_KEY,
        context: &[
            ("kms:CallerAccount", &["444455556666"]),
            ("kms:ViaService", &["ec2.us-west-2.amazonaws.com"]),
        ],
        expected: NO_RESOURCE,
        ..BASE
    },
    // Source: AWS KMS Developer Guide, kms:EncryptionContext:context-key — the role may
    // decrypt only with AppName=ExampleApp. (The key policy names the role; its session asks.)
    // — https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context
    Case {
        name: "kms:EncryptionContext:AppName ExampleApp: allowed",
        source: KMS_CONDITIONS,
        resource: Some(KMS_ENCRYPTION_CONTEXT),
        resource_policy_required: true,
        caller: EXAMPLE_APP_SESSION,
        action: "kms:Decrypt",
        arn: KMS_KEY,
        context: &[("kms:EncryptionContext:AppName", &["ExampleApp"])],
        ..BASE
    },
    // Source: same.
    Case {
        name: "kms:EncryptionContext:AppName other: refused",
        source: KMS_CONDITIONS,
        resource: Some(KMS_ENCRYPTION_CONTEXT),
        resource_policy_required: true,
        caller: EXAMPLE_APP_SESSION,
        action: "kms:Decrypt",
        arn: KMS_KEY,
        context: &[("kms:EncryptionContext:AppName", &["OtherApp"])],
        expected: NO_RESOURCE,
        ..BASE
    },
];

// ---------------------------------------------------------------------------------------------
// The runner.
// ---------------------------------------------------------------------------------------------

fn caller(who: Who) -> Caller {
    let account_of = |arn: &str| arn.split(':').nth(4).unwrap_or("").to_string();
    match who {
        Who::Root(account) => Caller::root(account),
        Who::User(arn) => Caller {
            kind: Kind::User,
            arn: arn.to_string(),
            role_arn: None,
            ..Caller::root(&account_of(arn))
        },
        Who::Session(arn) => {
            let account = account_of(arn);
            let role = arn
                .split_once(":assumed-role/")
                .and_then(|(_, rest)| rest.split('/').next())
                .unwrap_or("");
            Caller {
                kind: Kind::AssumedRole,
                arn: arn.to_string(),
                role_arn: Some(format!("arn:aws:iam::{account}:role/{role}")),
                ..Caller::root(&account)
            }
        }
        Who::Service(name) => Caller {
            kind: Kind::Service,
            arn: name.to_string(),
            role_arn: None,
            ..Caller::root("")
        },
    }
}

fn parse_all(texts: &[&str]) -> Result<Vec<Policy>, String> {
    texts
        .iter()
        .map(|t| Policy::parse(t).map_err(|e| format!("policy does not parse: {e}: {t}")))
        .collect()
}

fn run(case: &Case) -> Result<Decision, String> {
    let identity = parse_all(case.identity)?;
    let session = parse_all(case.session)?;
    let resource = parse_all(case.resource.as_slice())?;
    let boundary = parse_all(case.boundary.as_slice())?;
    let mut context = Context::new();
    for (key, values) in case.context {
        context.set_all(key, values.iter().map(|v| v.to_string()).collect());
    }
    let who = caller(case.caller);
    let policies = Policies {
        identity: &identity,
        resource: resource.first(),
        boundary: boundary.first(),
        session: &session,
        resource_policy_required: case.resource_policy_required,
    };
    let request = Request {
        caller: &who,
        action: case.action,
        resource: case.arn,
        context: &context,
    };
    Ok(evaluate(&policies, &request))
}

#[test]
fn documented_cases() {
    assert!(CASES.len() >= 70, "only {} cases", CASES.len());
    let mut failures = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for case in CASES {
        if !names.insert(case.name) {
            failures.push(format!("duplicate case name: {}", case.name));
        }
        if case.source.is_empty() {
            failures.push(format!("{}: no source", case.name));
        }
        let expected = case.expected;
        match run(case) {
            Ok(got) if got == expected => {}
            Ok(got) => failures.push(format!(
                "{}\n    expected {expected:?}, got {got:?}\n    source: {}",
                case.name, case.source
            )),
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} documented cases failed:\n  {}",
        failures.len(),
        CASES.len(),
        failures.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// AWS's words for a refusal.
// ---------------------------------------------------------------------------------------------

/// The access-denied messages of "Troubleshoot access denied error messages": "When a policy
/// explicitly denies access because the policy contains a Deny statement, then AWS includes
/// the phrase `with an explicit deny in a type policy` ... When the policy implicitly denies
/// access, then AWS includes the phrase `because no type policy allows the action action`".
/// The examples below are the page's, with `on resource:` kept (the evaluator always names the
/// resource; the page's examples for resource-less actions leave it out).
#[test]
fn messages_in_aws_words() {
    let _ = TROUBLESHOOT;
    let user = "arn:aws:iam::123456789012:user/JohnDoe";
    let group = "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:*";
    let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:*";
    let cases: &[(&str, &str, Denial, String)] = &[
        // "Access denied due to identity-based policies", explicit denial.
        (
            "codedeploy:ListDeployments",
            group,
            Denial::Explicit(PolicyKind::Identity),
            format!("User: {user} is not authorized to perform: codedeploy:ListDeployments on resource: {group} with an explicit deny in an identity-based policy"),
        ),
        // "Access denied due to resource-based policies", explicit denial.
        (
            "secretsmanager:GetSecretValue",
            secret,
            Denial::Explicit(PolicyKind::Resource),
            format!("User: {user} is not authorized to perform: secretsmanager:GetSecretValue on resource: {secret} with an explicit deny in a resource-based policy"),
        ),
        // "Access denied due to a permissions boundary", explicit denial (resource added).
        (
            "codedeploy:ListDeployments",
            group,
            Denial::Explicit(PolicyKind::Boundary),
            format!("User: {user} is not authorized to perform: codedeploy:ListDeployments on resource: {group} with an explicit deny in a permissions boundary"),
        ),
        // "Access denied due to session policies", explicit denial. The page's example reads
        // "with an explicit deny in a sessions policy", which reads as a typo for the phrase
        // pattern the page states ("with an explicit deny in a type policy"); this expects
        // "a session policy".
        (
            "codedeploy:ListDeployments",
            group,
            Denial::Explicit(PolicyKind::Session),
            format!("User: {user} is not authorized to perform: codedeploy:ListDeployments on resource: {group} with an explicit deny in a session policy"),
        ),
        // "Access denied due to identity-based policies", implicit denial.
        (
            "codedeploy:ListDeployments",
            group,
            Denial::Implicit(PolicyKind::Identity),
            format!("User: {user} is not authorized to perform: codedeploy:ListDeployments on resource: {group} because no identity-based policy allows the codedeploy:ListDeployments action"),
        ),
        // "Access denied due to resource-based policies", implicit denial.
        (
            "secretsmanager:GetSecretValue",
            secret,
            Denial::Implicit(PolicyKind::Resource),
            format!("User: {user} is not authorized to perform: secretsmanager:GetSecretValue on resource: {secret} because no resource-based policy allows the secretsmanager:GetSecretValue action"),
        ),
        // "Access denied due to a permissions boundary", implicit denial — verbatim.
        (
            "codedeploy:ListDeployments",
            group,
            Denial::Implicit(PolicyKind::Boundary),
            format!("User: {user} is not authorized to perform: codedeploy:ListDeployments on resource: {group} because no permissions boundary allows the codedeploy:ListDeployments action"),
        ),
        // "Access denied due to session policies", implicit denial.
        (
            "codecommit:ListRepositories",
            "*",
            Denial::Implicit(PolicyKind::Session),
            format!("User: {user} is not authorized to perform: codecommit:ListRepositories on resource: * because no session policy allows the codecommit:ListRepositories action"),
        ),
    ];
    let mut failures = Vec::new();
    for (action, resource, denial, want) in cases {
        let got = message(user, action, resource, *denial);
        if &got != want {
            failures.push(format!("{denial:?}\n    want: {want}\n    got:  {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "messages differ:\n  {}",
        failures.join("\n  ")
    );
}

/// A decision from the table turned into DynamoDB's message, end to end.
#[test]
fn an_evaluated_refusal_in_aws_words() {
    let case = Case {
        name: "end to end",
        source: TROUBLESHOOT,
        action: "dynamodb:GetItem",
        arn: TABLE_BOOKS,
        expected: NO_IDENTITY,
        ..BASE
    };
    let decision = run(&case);
    let Ok(Decision::Deny(denial)) = decision else {
        panic!("expected a refusal, got {decision:?}");
    };
    assert_eq!(
        message("arn:aws:iam::123456789012:user/alice", case.action, case.arn, denial),
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: dynamodb:GetItem \
         on resource: arn:aws:dynamodb:us-east-1:123456789012:table/Books because no \
         identity-based policy allows the dynamodb:GetItem action"
    );
}

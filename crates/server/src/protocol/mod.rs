//! Wire framing of responses. awsJson only for now; awsQuery, restJson1 and rpcv2Cbor join here.

pub mod aws_json;
pub mod aws_query;

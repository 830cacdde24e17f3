//! The DynamoDB data model, free of I/O and of any wire framing: attribute values, exact
//! decimal numbers, item sizes as AWS bills them, the order-preserving key encoding the store
//! sorts by, and the expression language (conditions, projections, updates).
//!
//! Architecture invariant: nothing here knows about HTTP, storage or tables' schemas; callers
//! hand in items and expressions and get values or AWS-worded validation messages back.

pub mod expr;
pub mod json;
pub mod keycodec;
pub mod number;
pub mod packed;
pub mod partiql;
pub mod size;
pub mod value;

pub use number::{Number, NumberError};
pub use value::{Item, Value};

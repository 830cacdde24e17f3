//! The protocol-neutral value tree, for a service that speaks several protocols (CloudWatch:
//! awsQuery, awsJson 1.0, rpcv2Cbor): every request decodes into it and every response is built
//! as one before it is encoded in the request's protocol. awsQuery carries every scalar as
//! text, so the typed accessors also read text.

/// A member that is missing where one is required, or does not read as its type; the service
/// turns it into its own validation error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberError {
    Null(String),
    Malformed { member: String, text: String },
}

fn malformed(member: &str, text: &str) -> MemberError {
    MemberError::Malformed {
        member: member.to_string(),
        text: text.to_string(),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// Seconds since the epoch (timestamps: ISO-8601 in XML, epoch numbers in JSON, CBOR tag 1).
    Ts(f64),
    List(Vec<V>),
    Map(Vec<(String, V)>),
}

impl V {
    pub fn map() -> V {
        V::Map(Vec::new())
    }

    /// Adds a member to a map (builder style); `Null` members are kept out.
    pub fn with(mut self, name: &str, value: V) -> V {
        if let V::Map(m) = &mut self {
            if value != V::Null {
                m.push((name.to_string(), value));
            }
        }
        self
    }

    pub fn opt_str(value: Option<&str>) -> V {
        value.map_or(V::Null, |s| V::Str(s.to_string()))
    }

    pub fn strs(values: &[String]) -> V {
        V::List(values.iter().map(|s| V::Str(s.clone())).collect())
    }

    pub fn get(&self, name: &str) -> Option<&V> {
        match self {
            V::Map(m) => m
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v)
                .filter(|v| **v != V::Null),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            V::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn str(&self, name: &str) -> Option<String> {
        self.get(name).and_then(|v| v.as_str()).map(str::to_string)
    }

    /// A required string member; absent → AWS's validation error for a null member.
    pub fn req_str(&self, name: &str) -> Result<String, MemberError> {
        self.str(name)
            .ok_or_else(|| MemberError::Null(name.to_string()))
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, MemberError> {
        match self.get(name) {
            None => Ok(None),
            Some(V::Int(i)) => Ok(Some(*i)),
            Some(V::Float(f)) if f.fract() == 0.0 => Ok(Some(*f as i64)),
            Some(V::Str(s)) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| malformed(name, s)),
            Some(_) => Err(malformed(name, "")),
        }
    }

    pub fn float(&self, name: &str) -> Result<Option<f64>, MemberError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .to_f64()
                .map(Some)
                .ok_or_else(|| malformed(name, v.as_str().unwrap_or_default())),
        }
    }

    pub fn to_f64(&self) -> Option<f64> {
        match self {
            V::Int(i) => Some(*i as f64),
            V::Float(f) => Some(*f),
            V::Str(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, MemberError> {
        match self.get(name) {
            None => Ok(None),
            Some(V::Bool(b)) => Ok(Some(*b)),
            Some(V::Str(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(V::Str(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(malformed(name, v.as_str().unwrap_or_default())),
        }
    }

    /// A timestamp in seconds: CBOR tag 1, a JSON epoch number, or awsQuery's ISO-8601 text.
    pub fn ts(&self, name: &str) -> Result<Option<f64>, MemberError> {
        match self.get(name) {
            None => Ok(None),
            Some(V::Ts(t)) => Ok(Some(*t)),
            Some(V::Int(i)) => Ok(Some(*i as f64)),
            Some(V::Float(f)) => Ok(Some(*f)),
            Some(V::Str(s)) => clock::parse_date_time(s)
                .map(Some)
                .ok_or_else(|| malformed(name, s)),
            Some(_) => Err(malformed(name, "")),
        }
    }

    /// A list member; absent (or awsQuery's `Name=` for an empty list) is empty.
    pub fn list(&self, name: &str) -> Vec<&V> {
        match self.get(name) {
            Some(V::List(l)) => l.iter().collect(),
            _ => Vec::new(),
        }
    }

    pub fn str_list(&self, name: &str) -> Vec<String> {
        self.list(name)
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    /// Converts to JSON for storage (timestamps become epoch seconds).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            V::Null => J::Null,
            V::Bool(b) => J::Bool(*b),
            V::Int(i) => J::from(*i),
            V::Float(f) | V::Ts(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            V::Str(s) => J::String(s.clone()),
            V::List(l) => J::Array(l.iter().map(V::to_json).collect()),
            V::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    pub fn from_json(j: &serde_json::Value) -> V {
        use serde_json::Value as J;
        match j {
            J::Null => V::Null,
            J::Bool(b) => V::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) if !n.is_f64() => V::Int(i),
                _ => V::Float(n.as_f64().unwrap_or(0.0)),
            },
            J::String(s) => V::Str(s.clone()),
            J::Array(a) => V::List(a.iter().map(V::from_json).collect()),
            J::Object(o) => V::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), V::from_json(v)))
                    .collect(),
            ),
        }
    }
}

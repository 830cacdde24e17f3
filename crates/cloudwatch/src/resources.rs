//! Tags (TagResource, UntagResource, ListTagsForResource on alarm and dashboard ARNs) and
//! dashboards (PutDashboard, GetDashboard, ListDashboards, DeleteDashboards).

use std::ops::Bound;

use store::ScanControl;

use crate::alarms;
use crate::error::{CwError, ErrorCode};
use crate::model::{self, Alarm, Dashboard, Tag, ALARMS, DASHBOARDS};
use crate::CloudWatch;
use protocol::tree::V;

/// The stored resource an ARN names: (table, key, kind, id).
fn resource(arn: &str) -> Result<(&'static str, Vec<u8>, &'static str, String), CwError> {
    let bad = || {
        CwError::new(
            ErrorCode::InvalidParameterValue,
            format!("Invalid ARN: {arn}"),
        )
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "cloudwatch" {
        return Err(bad());
    }
    let (region, rest) = (parts[3], parts[5]);
    if let Some(name) = rest.strip_prefix("alarm:") {
        Ok((
            ALARMS,
            model::alarm_key(region, name),
            "alarm",
            name.to_string(),
        ))
    } else if let Some(name) = rest.strip_prefix("dashboard/") {
        Ok((
            DASHBOARDS,
            name.as_bytes().to_vec(),
            "dashboard",
            name.to_string(),
        ))
    } else {
        Err(bad())
    }
}

fn not_found(kind: &str, id: &str) -> CwError {
    let what = if kind == "alarm" {
        "Alarm"
    } else {
        "Dashboard"
    };
    CwError::new(
        ErrorCode::ResourceNotFoundException,
        format!("{what} {id} does not exist."),
    )
}

/// Applies `change` to a resource's tags inside one write job.
fn edit_tags(
    w: &mut store::WriteCtx<'_>,
    table: &'static str,
    key: &[u8],
    change: impl FnOnce(&mut Vec<Tag>),
) -> Result<bool, store::StoreError> {
    let Some(bytes) = w.get(table, key)? else {
        return Ok(false);
    };
    let encoded = if table == ALARMS {
        let mut a: Alarm = model::decode(&bytes)?;
        change(&mut a.tags);
        model::encode(&a)?
    } else {
        let mut d: Dashboard = model::decode(&bytes)?;
        change(&mut d.tags);
        model::encode(&d)?
    };
    w.insert(table, key, &encoded)?;
    Ok(true)
}

impl CloudWatch {
    pub(crate) async fn tag_resource(&self, req: &V) -> Result<V, CwError> {
        let arn = req.req_str("ResourceARN")?;
        if req.get("Tags").is_none() {
            return Err(CwError::null_member("Tags"));
        }
        let new = alarms::tags(req.list("Tags"))?;
        let (table, key, kind, id) = resource(&arn)?;
        let found = self
            .store
            .write(move |w| {
                edit_tags(w, table, &key, |tags| {
                    for t in new {
                        match tags.iter_mut().find(|x| x.key == t.key) {
                            Some(x) => x.value = t.value,
                            None => tags.push(t),
                        }
                    }
                })
            })
            .await?;
        if !found {
            return Err(not_found(kind, &id));
        }
        Ok(V::map())
    }

    pub(crate) async fn untag_resource(&self, req: &V) -> Result<V, CwError> {
        let arn = req.req_str("ResourceARN")?;
        if req.get("TagKeys").is_none() {
            return Err(CwError::null_member("TagKeys"));
        }
        let keys = req.str_list("TagKeys");
        let (table, key, kind, id) = resource(&arn)?;
        let found = self
            .store
            .write(move |w| {
                edit_tags(w, table, &key, |tags| {
                    tags.retain(|t| !keys.contains(&t.key))
                })
            })
            .await?;
        if !found {
            return Err(not_found(kind, &id));
        }
        Ok(V::map())
    }

    pub(crate) async fn list_tags_for_resource(&self, req: &V) -> Result<V, CwError> {
        let arn = req.req_str("ResourceARN")?;
        let (table, key, kind, id) = resource(&arn)?;
        let read = self.store.read()?;
        let tags = match read.get(table, &key)? {
            Some(b) if table == ALARMS => model::decode::<Alarm>(&b)?.tags,
            Some(b) => model::decode::<Dashboard>(&b)?.tags,
            None => {
                // Alarms other services define (Application Auto Scaling's) have no tags.
                let region = arn.split(':').nth(3).unwrap_or_default();
                if kind == "alarm" && self.all_alarms(region)?.iter().any(|a| a.arn == arn) {
                    Vec::new()
                } else {
                    return Err(not_found(kind, &id));
                }
            }
        };
        Ok(V::map().with("Tags", model::tags_v(&tags)))
    }

    pub(crate) async fn put_dashboard(&self, req: &V) -> Result<V, CwError> {
        let name = req.req_str("DashboardName")?;
        let body = req.req_str("DashboardBody")?;
        if name.is_empty()
            || name.len() > 255
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(CwError::new(
                ErrorCode::InvalidParameterValue,
                "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).\n",
            ));
        }
        let messages = validate_dashboard(&body);
        if !messages.is_empty() {
            let mut e = CwError::new(
                ErrorCode::DashboardInvalidInput,
                "The field DashboardBody is invalid.",
            );
            e.dashboard_messages = messages;
            return Err(e);
        }
        let tags = alarms::tags(req.list("Tags"))?;
        let dashboard = Dashboard {
            arn: format!("arn:aws:cloudwatch::{}:dashboard/{name}", self.account_id),
            name: name.clone(),
            body,
            last_modified_ms: self.now_millis(),
            tags,
        };
        self.store
            .write(move |w| {
                let mut d = dashboard;
                if let Some(old) = w.get(DASHBOARDS, d.name.as_bytes())? {
                    let old: Dashboard = model::decode(&old)?;
                    if d.tags.is_empty() {
                        d.tags = old.tags;
                    }
                }
                w.insert(DASHBOARDS, d.name.as_bytes(), &model::encode(&d)?)?;
                Ok(())
            })
            .await?;
        Ok(V::map().with("DashboardValidationMessages", V::List(vec![])))
    }

    pub(crate) async fn get_dashboard(&self, req: &V) -> Result<V, CwError> {
        let name = req.req_str("DashboardName")?;
        let read = self.store.read()?;
        let Some(bytes) = read.get(DASHBOARDS, name.as_bytes())? else {
            return Err(CwError::new(
                ErrorCode::DashboardNotFound,
                format!("Dashboard {name} does not exist"),
            ));
        };
        let d: Dashboard = model::decode(&bytes)?;
        Ok(V::map()
            .with("DashboardArn", V::Str(d.arn))
            .with("DashboardBody", V::Str(d.body))
            .with("DashboardName", V::Str(d.name)))
    }

    pub(crate) async fn list_dashboards(&self, req: &V) -> Result<V, CwError> {
        let prefix = req.str("DashboardNamePrefix").unwrap_or_default();
        let after = req.str("NextToken");
        let read = self.store.read()?;
        let mut entries = Vec::new();
        let mut next = None;
        let mut failure = None;
        let start = after.clone().unwrap_or_else(|| prefix.clone());
        let lower = if after.is_some() {
            Bound::Excluded(start.as_bytes())
        } else {
            Bound::Included(start.as_bytes())
        };
        read.scan(DASHBOARDS, (lower, Bound::Unbounded), false, |k, v| {
            if !k.starts_with(prefix.as_bytes()) {
                return ScanControl::Stop;
            }
            if entries.len() == 1000 {
                next = Some(String::from_utf8_lossy(k).into_owned());
                return ScanControl::Stop;
            }
            match model::decode::<Dashboard>(v) {
                Ok(d) => entries.push(
                    V::map()
                        .with("DashboardName", V::Str(d.name.clone()))
                        .with("DashboardArn", V::Str(d.arn.clone()))
                        .with("LastModified", V::Ts(d.last_modified_ms as f64 / 1000.0))
                        .with("Size", V::Int(d.body.len() as i64)),
                ),
                Err(e) => failure = Some(e),
            }
            ScanControl::Continue
        })?;
        if let Some(e) = failure {
            return Err(e.into());
        }
        // The token names the last entry returned.
        if next.is_some() {
            next = entries.last().and_then(|e| e.str("DashboardName"));
        }
        Ok(V::map()
            .with("DashboardEntries", V::List(entries))
            .with("NextToken", V::opt_str(next.as_deref())))
    }

    pub(crate) async fn delete_dashboards(&self, req: &V) -> Result<V, CwError> {
        if req.get("DashboardNames").is_none() {
            return Err(CwError::null_member("DashboardNames"));
        }
        let names = req.str_list("DashboardNames");
        // All or nothing: any missing name fails the call and deletes none.
        self.store
            .write(move |w| {
                let missing: Vec<&String> = names
                    .iter()
                    .filter(|n| w.get(DASHBOARDS, n.as_bytes()).ok().flatten().is_none())
                    .collect();
                if !missing.is_empty() {
                    let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                    return Ok(Err(CwError::new(
                        ErrorCode::DashboardNotFound,
                        format!("Dashboard(s) [{}] do not exist", list.join(", ")),
                    )));
                }
                for n in &names {
                    w.remove(DASHBOARDS, n.as_bytes())?;
                }
                Ok(Ok(()))
            })
            .await??;
        Ok(V::map())
    }
}

/// DashboardValidationMessages for a body: it must be a JSON object whose `widgets` (if
/// present) is an array of objects each with a `type`.
fn validate_dashboard(body: &str) -> Vec<(String, String)> {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(body) else {
        return vec![("".into(), "The dashboard body is not valid JSON".into())];
    };
    let Some(obj) = json.as_object() else {
        return vec![("".into(), "Should be an object".into())];
    };
    let mut out = Vec::new();
    match obj.get("widgets") {
        None => {}
        Some(serde_json::Value::Array(ws)) => {
            for (i, w) in ws.iter().enumerate() {
                match w.as_object() {
                    Some(o) if o.get("type").is_some_and(|t| t.is_string()) => {}
                    Some(_) => out.push((
                        format!("/widgets/{i}"),
                        "Should have required property 'type'".into(),
                    )),
                    None => out.push((format!("/widgets/{i}"), "Should be an object".into())),
                }
            }
        }
        Some(_) => out.push(("/widgets".into(), "Should be an array".into())),
    }
    out
}

//! What narrows a filter's instances before their steps are read.

use super::narrowing_conditions;
use super::with_attribute::instances_with;
use crate::correlate::InstanceId;
use crate::store::embedded::notions::ids::IdSet;
use crate::store::CaseFilter;
use crate::CollectorError;
use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;

/// What narrows a filter's instances before their steps are read: SQL conditions on
/// `instances` with their parameters (the status's included), and the instances holding the
/// filter's attribute value, gathered once rather than looked up for each instance.
pub struct Narrowed {
    /// The conditions on `instances`.
    pub conditions: Vec<String>,
    /// Their parameters, in order.
    pub params: Vec<SqlValue>,
    /// The instances with the attribute value, when the filter asks for one.
    with_attribute: Option<IdSet>,
}

impl Narrowed {
    /// What narrows `filter`'s instances (`instances` aliased `alias`); `judged` are the
    /// store's conditions for the filter's status, with their parameters.
    pub fn of(
        conn: &Connection,
        alias: &str,
        filter: &CaseFilter,
        judged: (Vec<String>, Vec<SqlValue>),
    ) -> Result<Self, CollectorError> {
        let with_attribute = match &filter.attribute {
            Some((name, value)) => Some(instances_with(conn, name, value)?),
            None => None,
        };
        let rest = CaseFilter {
            attribute: None,
            ..filter.clone()
        };
        let (mut conditions, mut params) = narrowing_conditions(alias, &rest);
        conditions.extend(judged.0);
        params.extend(judged.1);
        Ok(Self {
            conditions,
            params,
            with_attribute,
        })
    }

    /// Whether `instance` holds the filter's attribute value, when it asks for one.
    pub fn keeps(&self, instance: InstanceId) -> bool {
        self.with_attribute
            .as_ref()
            .is_none_or(|with| with.contains(instance))
    }
}

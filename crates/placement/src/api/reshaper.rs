//! `POST /reshaper` (1.30+): new inventories per provider and new allocations per
//! consumer, applied at once.

use serde_json::Value;

use crate::domain::allocations::AllocationRequest;
use crate::domain::{Error, Result, Version};
use crate::store::InventoryRow;

/// A reshape request: `(provider, generation read, inventories)` and the consumers'
/// allocations.
pub type Reshape = (Vec<(String, i64, Vec<InventoryRow>)>, Vec<AllocationRequest>);

/// Parses the body: `{"inventories": {uuid: {resource_provider_generation, inventories}},
/// "allocations": {consumer: {...}}}`, both required and nothing else.
pub fn parse(body: &Value, version: Version) -> Result<Reshape> {
    let Some(obj) = body.as_object() else { return Err(Error::bad("JSON does not validate: the body must be an object")) };
    if let Some(extra) = obj.keys().find(|k| *k != "inventories" && *k != "allocations") {
        return Err(Error::bad(format!("JSON does not validate: Additional properties are not allowed ('{extra}' was unexpected)")));
    }
    let inventories = obj
        .get("inventories")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::bad("JSON does not validate: 'inventories' is a required property"))?;
    let allocations = obj
        .get("allocations")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::bad("JSON does not validate: 'allocations' is a required property"))?;
    let mut providers = Vec::with_capacity(inventories.len());
    for (uuid, entry) in inventories {
        if uuid::Uuid::parse_str(uuid).is_err() {
            return Err(Error::bad(format!("JSON does not validate: '{uuid}' is not a valid resource provider uuid")));
        }
        let (generation, rows) = super::inventories::parse_replace(entry)?;
        providers.push((uuid.clone(), generation, rows));
    }
    let consumers = if allocations.is_empty() { Vec::new() } else { super::allocations::parse_post(&obj["allocations"], version)? };
    Ok((providers, consumers))
}

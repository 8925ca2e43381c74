//! The route list and `openapi.json` agree both ways, and so do the dashboard's assets.

use std::collections::BTreeSet;

use super::*;

fn documented() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
    assert_eq!(doc["openapi"].as_str().map(|v| v.starts_with("3.0")), Some(true));
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_documented_route_served() {
    let served: BTreeSet<(String, String)> =
        routes().into_iter().map(|(method, path, _)| (method.to_string(), path.to_owned())).collect();
    let documented = documented();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(undocumented.is_empty(), "served but not in openapi.json: {undocumented:?}");
    assert!(unserved.is_empty(), "in openapi.json but not served: {unserved:?}");
    assert_eq!(served.len(), routes().len(), "no route is listed twice");
}

#[test]
fn every_reference_in_the_document_resolves() {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
    let mut refs = Vec::new();
    fn walk(v: &serde_json::Value, refs: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(r)) = map.get("$ref") {
                    refs.push(r.clone());
                }
                map.values().for_each(|v| walk(v, refs));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    walk(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let pointer = r.strip_prefix('#').unwrap();
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
}

#[test]
fn every_dashboard_asset_is_documented_and_every_documented_asset_served() {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
    let parameters = doc["paths"]["/assets/{file}"]["get"]["parameters"].as_array().unwrap();
    let file = parameters.iter().find(|p| p["name"] == "file").unwrap();
    let documented: BTreeSet<&str> =
        file["schema"]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let served: BTreeSet<&str> = dashboard::ASSETS.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(documented, served);
}

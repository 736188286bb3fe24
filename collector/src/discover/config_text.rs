//! The discovered rules as a commented `flowsight.toml`: what `flowsight discover --write`
//! saves for the user to edit, and what a zero-config source keeps with its store.

use super::proposal::{Discovery, KeyProposal};
use crate::mapping::unescape;
use std::fmt::Write;

/// The rules of `discovery` as configuration text; `origin` says where the sample came from.
pub fn config_text(discovery: &Discovery, origin: &str) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# Rules discovered by flowsight from {} messages of {origin}.\n# Review and edit them: every rule is a proposal, with its evidence beside it.\n# {}\n",
        discovery.messages,
        discovery.summary()
    );
    text.push_str("[mapping]\n");
    envelope_rules(&mut text, discovery);
    key_sections(&mut text, discovery);
    text.push_str("\n[instances]\n");
    let ends: Vec<String> = discovery
        .end_activities
        .iter()
        .map(|e| e.activity.clone())
        .collect();
    let _ = writeln!(
        text,
        "end_activities = {}  # types that end instances and are never followed",
        array(&ends)
    );
    let kinds: Vec<String> = discovery.applied_keys().map(|k| k.kind.clone()).collect();
    let _ = writeln!(text, "label_kinds = {}", array(&kinds));
    text
}

/// One rule of `[mapping]` with its evidence as a comment.
fn rule(text: &mut String, name: &str, value: &str, note: &str) {
    let _ = writeln!(text, "{name} = {}  # {note}", quoted(value));
}

/// Where the envelope's fields are (activity, time, id, source, trace and span ids, data),
/// and whether trace ids link instances.
fn envelope_rules(text: &mut String, discovery: &Discovery) {
    let envelope = &discovery.envelope;
    let activity = &envelope.activity;
    rule(text, "activity", &activity.pointer, &activity.evidence);
    rule(
        text,
        "time",
        &envelope.time.pointer,
        &envelope.time.evidence,
    );
    match &envelope.id {
        Some(id) => rule(text, "id", &id.pointer, &id.evidence),
        None => rule(
            text,
            "id",
            "",
            "no field is unique per message: ids are derived from the message",
        ),
    }
    if let Some(source) = &envelope.source {
        rule(text, "source", &source.pointer, &source.evidence);
    }
    match &envelope.trace_id {
        Some(trace) => rule(text, "trace_id", &trace.pointer, &trace.evidence),
        None => rule(text, "trace_id", "", "no field holds W3C trace ids"),
    }
    match &envelope.span_id {
        Some(span) => rule(text, "span_id", &span.pointer, &span.evidence),
        None => rule(text, "span_id", "", "no field holds span ids"),
    }
    if let Some(data) = &envelope.data {
        rule(
            text,
            "data",
            data,
            "the payload: its members become attributes",
        );
    }
    let link = discovery.link_traces.as_ref();
    let _ = writeln!(
        text,
        "link_traces = {}  # {}",
        link.is_some_and(|l| l.applied),
        link.map_or("no trace ids", |l| l.reason.as_str())
    );
}

/// The key rules applied, those held back (commented out, with why), and the causation
/// links found.
fn key_sections(text: &mut String, discovery: &Discovery) {
    for key in discovery.applied_keys() {
        text.push('\n');
        let _ = writeln!(text, "# {}", evidence(key));
        key_rules(text, key, "");
    }
    let held_back: Vec<&KeyProposal> = discovery.keys.iter().filter(|k| !k.applied()).collect();
    if !held_back.is_empty() {
        text.push_str("\n# Not applied (remove the leading '# ' of a rule to apply it):\n");
    }
    for key in held_back {
        let _ = writeln!(text, "# {}: {}", key.kind, key.verdict.reason);
        key_rules(text, key, "# ");
    }
    for field in &discovery.causation {
        let _ = writeln!(
            text,
            "# {} names the event another one answers (a causation link, not a key)",
            field.pointer
        );
    }
}

fn evidence(key: &KeyProposal) -> String {
    format!(
        "{}: on {:.0}% of events, {} of the event types, {} values (e.g. {}); {}",
        key.kind,
        key.event_share * 100.0,
        key.types.len(),
        key.values,
        key.samples.join(", "),
        key.verdict.reason
    )
}

/// One `[[mapping.keys]]` per set of types: pointers that hold the key on every type that has
/// them share one rule.
fn key_rules(text: &mut String, key: &KeyProposal, prefix: &str) {
    let mut rules: Vec<(&Vec<String>, Vec<String>)> = Vec::new();
    for field in &key.fields {
        match rules.iter_mut().find(|(types, _)| **types == field.types) {
            Some((_, pointers)) => pointers.push(field.pointer.clone()),
            None => rules.push((&field.types, vec![field.pointer.clone()])),
        }
    }
    for (types, pointers) in rules {
        let _ = writeln!(text, "{prefix}[[mapping.keys]]");
        let _ = writeln!(text, "{prefix}kind = {}", quoted(&key.kind));
        let _ = writeln!(text, "{prefix}pointers = {}", array(&pointers));
        if !types.is_empty() {
            let _ = writeln!(text, "{prefix}types = {}", array(types));
        }
    }
}

/// The `[[otlp.keys]]` rules for the keys found in a sample of spans (attribute names are
/// the members of `data`), as configuration text.
pub fn span_key_rules(discovery: &Discovery) -> String {
    let mut text = String::new();
    for key in discovery.applied_keys() {
        let attributes: Vec<String> = key
            .fields
            .iter()
            .filter_map(|f| f.pointer.strip_prefix("/data/"))
            .filter(|name| !name.contains('/'))
            .map(|name| unescape(name).into_owned())
            .collect();
        if attributes.is_empty() {
            continue;
        }
        let _ = writeln!(
            text,
            "\n# {}: span attributes sharing values across {} span names\n[[otlp.keys]]\nkind = {}\nattributes = {}",
            key.kind,
            key.types.len(),
            quoted(&key.kind),
            array(&attributes)
        );
    }
    text
}

fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn array(items: &[String]) -> String {
    toml::Value::Array(items.iter().cloned().map(toml::Value::String).collect()).to_string()
}

//! The fields of a sample of messages: every scalar leaf by JSON pointer, with the shapes and
//! values found there. Values are interned once, so the later steps compare integers.

use super::shape::{shape_of, Shape};
use crate::mapping::{escape, unescape};
use hashbrown::{HashMap, HashSet};
use serde_json::Value;

/// The array-element token of a discovered pointer: `/data/lines/*/orderId` names the
/// `orderId` of every line (key rules accept it; see [`crate::mapping::lookup_all`]).
pub const EVERY_ELEMENT: &str = "*";

/// Nesting deeper than this is not walked: ids sit near the top of real envelopes.
const MAX_DEPTH: usize = 8;
/// Elements of one array walked at most.
const MAX_ELEMENTS: usize = 100;

/// One scalar found in one message.
#[derive(Debug, Clone, Copy)]
pub struct Leaf {
    /// Index into [`Sample::fields`].
    pub field: u32,
    /// Index into [`Sample::values`].
    pub value: u32,
}

/// Everything seen at one pointer across the sample.
#[derive(Debug, Default)]
pub struct Field {
    /// The JSON pointer (array elements as `*`).
    pub pointer: String,
    /// The last member name on the way there: what the field is called.
    pub name: String,
    /// Whether the pointer passes through an array.
    pub in_array: bool,
    /// Members on the way (1 for a top-level field).
    pub depth: usize,
    /// Messages holding at least one value here.
    pub messages: u32,
    /// Values here, counting every array element.
    pub occurrences: u32,
    /// The distinct values.
    pub distinct: HashSet<u32>,
    shapes: HashMap<Shape, u32>,
    last_message: Option<u32>,
}

impl Field {
    /// The share of this field's values that have `shape`.
    pub fn share(&self, shape: Shape) -> f64 {
        f64::from(self.shapes.get(&shape).copied().unwrap_or(0))
            / f64::from(self.occurrences.max(1))
    }

    /// The share of `total` messages that hold this field.
    pub fn presence(&self, total: usize) -> f64 {
        f64::from(self.messages) / total.max(1) as f64
    }
}

/// A sample of messages, walked once.
#[derive(Debug, Default)]
pub struct Sample {
    /// Every field seen.
    pub fields: Vec<Field>,
    /// Every distinct scalar value, as text (numbers as written).
    pub values: Vec<Box<str>>,
    /// Each message's leaves; messages that are not objects have none.
    pub messages: Vec<Vec<Leaf>>,
    /// How many messages were not JSON objects.
    pub not_objects: usize,
    field_ids: HashMap<String, u32>,
    value_ids: HashMap<Box<str>, u32>,
}

impl Sample {
    /// Walks every message of `messages`.
    pub fn of(messages: &[Value]) -> Self {
        let mut sample = Self::default();
        let mut pointer = String::new();
        for (index, message) in messages.iter().enumerate() {
            let mut leaves = Vec::new();
            if message.is_object() {
                sample.walk(message, index as u32, &mut pointer, 0, &mut leaves);
            } else {
                sample.not_objects += 1;
            }
            sample.messages.push(leaves);
        }
        sample
    }

    /// The field at `pointer`, if the sample has it.
    pub fn field(&self, pointer: &str) -> Option<u32> {
        self.field_ids.get(pointer).copied()
    }

    /// The value of `field` in message `index` (its first, for an array field).
    pub fn value_in(&self, index: usize, field: u32) -> Option<u32> {
        self.messages[index]
            .iter()
            .find(|leaf| leaf.field == field)
            .map(|leaf| leaf.value)
    }

    fn walk(
        &mut self,
        value: &Value,
        message: u32,
        pointer: &mut String,
        depth: usize,
        leaves: &mut Vec<Leaf>,
    ) {
        let length = pointer.len();
        match value {
            Value::Object(members) if depth < MAX_DEPTH => {
                for (name, member) in members {
                    pointer.push('/');
                    pointer.push_str(&escape(name));
                    self.walk(member, message, pointer, depth + 1, leaves);
                    pointer.truncate(length);
                }
            }
            Value::Array(elements) if depth < MAX_DEPTH => {
                pointer.push('/');
                pointer.push_str(EVERY_ELEMENT);
                for element in elements.iter().take(MAX_ELEMENTS) {
                    self.walk(element, message, pointer, depth + 1, leaves);
                }
                pointer.truncate(length);
            }
            Value::String(_) | Value::Number(_) => {
                let field = self.field_id(pointer, depth);
                let text: Box<str> = match value {
                    Value::String(s) => s.as_str().into(),
                    other => other.to_string().into(),
                };
                let value_id = self.value_id(text);
                let stats = &mut self.fields[field as usize];
                stats.occurrences += 1;
                *stats.shapes.entry(shape_of(value)).or_default() += 1;
                stats.distinct.insert(value_id);
                if stats.last_message != Some(message) {
                    stats.last_message = Some(message);
                    stats.messages += 1;
                }
                leaves.push(Leaf {
                    field,
                    value: value_id,
                });
            }
            _ => {}
        }
    }

    fn field_id(&mut self, pointer: &str, depth: usize) -> u32 {
        if let Some(&id) = self.field_ids.get(pointer) {
            return id;
        }
        let id = self.fields.len() as u32;
        let name = unescape(
            pointer
                .rsplit('/')
                .find(|token| *token != EVERY_ELEMENT)
                .unwrap_or_default(),
        )
        .into_owned();
        self.fields.push(Field {
            pointer: pointer.to_string(),
            name,
            in_array: pointer.contains("/*"),
            depth,
            ..Field::default()
        });
        self.field_ids.insert(pointer.to_string(), id);
        id
    }

    fn value_id(&mut self, text: Box<str>) -> u32 {
        if let Some(&id) = self.value_ids.get(&text) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(text.clone());
        self.value_ids.insert(text, id);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_leaf_is_found_by_its_pointer_with_arrays_as_stars() {
        let messages = [
            json!({"type": "A", "data": {"orderIds": ["o-1", "o-2"], "a/b": 1}}),
            json!({"type": "B", "data": {"lines": [{"orderId": "o-1"}, {"orderId": "o-3"}]}}),
            json!("not an object"),
        ];
        let sample = Sample::of(&messages);
        assert_eq!(sample.not_objects, 1);
        let ids = &sample.fields[sample.field("/data/orderIds/*").unwrap() as usize];
        assert_eq!(
            (ids.messages, ids.occurrences, ids.distinct.len()),
            (1, 2, 2)
        );
        assert_eq!(ids.name, "orderIds");
        assert!(ids.in_array);
        let lines = &sample.fields[sample.field("/data/lines/*/orderId").unwrap() as usize];
        assert_eq!((lines.name.as_str(), lines.depth), ("orderId", 4));
        assert!(sample.field("/data/a~1b").is_some(), "names are escaped");
        let kind = sample.field("/type").unwrap();
        assert_eq!(
            &*sample.values[sample.value_in(1, kind).unwrap() as usize],
            "B"
        );
    }
}

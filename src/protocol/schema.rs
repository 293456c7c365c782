//! Schemas as the provider declares them: attributes with their flags, descriptions, defaults,
//! validators and plan modifiers, and nested blocks. The same declaration drives the wire schema
//! Terraform sees, validation, and planning.

use std::sync::Arc;

use super::validators::Validator;
use super::value::{Type, Value};
use crate::proto::tfplugin6 as pb;

/// A resource's, data source's or the provider's schema.
#[derive(Clone)]
pub struct Schema {
    /// Bumped whenever the stored state's shape changes; see `Resource::upgrade_state`.
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Self {
        Self { version, block }
    }

    /// The object type of a value conforming to this schema.
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }

    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(self.block.to_proto(self.version)),
        }
    }
}

/// A block: attributes and nested blocks.
#[derive(Clone, Default)]
pub struct Block {
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub deprecation_message: Option<String>,
}

impl Block {
    pub fn new(description: impl Into<String>) -> Self {
        Self {
            description: description.into(),
            ..Self::default()
        }
    }

    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn find_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.type_name == name)
    }

    pub fn value_type(&self) -> Type {
        let mut fields: Vec<(String, Type)> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        fields.extend(
            self.blocks
                .iter()
                .map(|b| (b.type_name.clone(), b.value_type())),
        );
        Type::object(fields)
    }

    fn to_proto(&self, version: i64) -> pb::schema::Block {
        pb::schema::Block {
            version,
            attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
            block_types: self.blocks.iter().map(NestedBlock::to_proto).collect(),
            description: self.description.clone(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: self.deprecation_message.is_some(),
            deprecation_message: self.deprecation_message.clone().unwrap_or_default(),
        }
    }
}

/// Whether the user must, may, or cannot set an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Optional, and the provider fills it in when the user does not.
    OptionalComputed,
    /// Set by the provider only.
    Computed,
}

/// How planning treats an attribute beyond the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanModifier {
    /// Changing the attribute destroys and recreates the resource.
    RequiresReplace,
    /// A computed attribute keeps its prior value across updates instead of becoming unknown.
    UseStateForUnknown,
}

#[derive(Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub presence: Presence,
    pub sensitive: bool,
    pub default: Option<Value>,
    pub validators: Vec<Arc<dyn Validator>>,
    pub plan_modifiers: Vec<PlanModifier>,
    pub deprecation_message: Option<String>,
}

impl Attribute {
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Self {
            name: name.into(),
            ty,
            description: String::new(),
            presence: Presence::Optional,
            sensitive: false,
            default: None,
            validators: Vec::new(),
            plan_modifiers: Vec::new(),
            deprecation_message: None,
        }
    }

    pub fn string(name: impl Into<String>) -> Self {
        Self::new(name, Type::String)
    }

    pub fn number(name: impl Into<String>) -> Self {
        Self::new(name, Type::Number)
    }

    pub fn bool(name: impl Into<String>) -> Self {
        Self::new(name, Type::Bool)
    }

    pub fn string_map(name: impl Into<String>) -> Self {
        Self::new(name, Type::Map(Box::new(Type::String)))
    }

    pub fn string_list(name: impl Into<String>) -> Self {
        Self::new(name, Type::List(Box::new(Type::String)))
    }

    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    pub fn required(mut self) -> Self {
        self.presence = Presence::Required;
        self
    }

    pub fn optional(mut self) -> Self {
        self.presence = Presence::Optional;
        self
    }

    pub fn optional_computed(mut self) -> Self {
        self.presence = Presence::OptionalComputed;
        self
    }

    pub fn computed(mut self) -> Self {
        self.presence = Presence::Computed;
        self
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// The value planned when the configuration leaves the attribute out (makes it
    /// optional and computed, as a default must be).
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self.presence = Presence::OptionalComputed;
        self
    }

    pub fn validator(mut self, validator: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(validator));
        self
    }

    pub fn requires_replace(mut self) -> Self {
        self.plan_modifiers.push(PlanModifier::RequiresReplace);
        self
    }

    pub fn use_state_for_unknown(mut self) -> Self {
        self.plan_modifiers.push(PlanModifier::UseStateForUnknown);
        self
    }

    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.deprecation_message = Some(message.into());
        self
    }

    pub fn is_computed(&self) -> bool {
        matches!(
            self.presence,
            Presence::Computed | Presence::OptionalComputed
        )
    }

    pub fn has_modifier(&self, modifier: PlanModifier) -> bool {
        self.plan_modifiers.contains(&modifier)
    }

    /// The description shown in docs and by language servers, with the default and the
    /// validators' rules appended so they are never out of step with the code.
    pub fn full_description(&self) -> String {
        let mut text = self.description.clone();
        for validator in &self.validators {
            let rule = validator.description();
            if !rule.is_empty() {
                text.push_str(&format!(" {rule}."));
            }
        }
        if let Some(default) = &self.default {
            text.push_str(&format!(" Defaults to `{}`.", default.to_display()));
        }
        if self.has_modifier(PlanModifier::RequiresReplace) {
            text.push_str(" Changing it replaces the resource.");
        }
        text.trim().to_string()
    }

    fn to_proto(&self) -> pb::schema::Attribute {
        pb::schema::Attribute {
            name: self.name.clone(),
            r#type: self.ty.to_json().to_string().into_bytes(),
            nested_type: None,
            description: self.full_description(),
            required: self.presence == Presence::Required,
            optional: matches!(
                self.presence,
                Presence::Optional | Presence::OptionalComputed
            ),
            computed: self.is_computed(),
            sensitive: self.sensitive,
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: self.deprecation_message.is_some(),
            write_only: false,
            deprecation_message: self.deprecation_message.clone().unwrap_or_default(),
        }
    }
}

/// How a nested block repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one, null when absent.
    Single,
    /// A list of blocks.
    List,
    /// A set of blocks.
    Set,
}

#[derive(Clone)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
}

impl NestedBlock {
    pub fn single(type_name: impl Into<String>, block: Block) -> Self {
        Self {
            type_name: type_name.into(),
            block,
            nesting: Nesting::Single,
            min_items: 0,
            max_items: 0,
        }
    }

    pub fn list(type_name: impl Into<String>, block: Block, max_items: i64) -> Self {
        Self {
            type_name: type_name.into(),
            block,
            nesting: Nesting::List,
            min_items: 0,
            max_items,
        }
    }

    pub fn value_type(&self) -> Type {
        let inner = self.block.value_type();
        match self.nesting {
            Nesting::Single => inner,
            Nesting::List => Type::List(Box::new(inner)),
            Nesting::Set => Type::Set(Box::new(inner)),
        }
    }

    fn to_proto(&self) -> pb::schema::NestedBlock {
        use pb::schema::nested_block::NestingMode;
        let nesting = match self.nesting {
            Nesting::Single => NestingMode::Single,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
        };
        pb::schema::NestedBlock {
            type_name: self.type_name.clone(),
            block: Some(self.block.to_proto(0)),
            nesting: nesting as i32,
            min_items: self.min_items,
            max_items: self.max_items,
        }
    }
}

/// The default of every operation in a `timeouts {}` block, as written there.
pub const DEFAULT_TIMEOUT: &str = "30m";

/// The standard `timeouts {}` block: durations such as `"30m"` or `"1h30m"` per operation.
pub fn timeouts_block(operations: &[&str]) -> NestedBlock {
    let mut block = Block::new("How long each operation may take before it fails.");
    for op in operations {
        block = block.attribute(
            Attribute::string(*op)
                .optional()
                .description(format!(
                    "How long {op} may take, as a duration such as `30m` or `1h`. Defaults to `{DEFAULT_TIMEOUT}`."
                ))
                .validator(super::validators::Duration),
        );
    }
    NestedBlock::single("timeouts", block)
}

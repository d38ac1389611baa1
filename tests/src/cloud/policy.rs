//! What `infra/template.yaml` allows each function, as IAM would read it: the statements of
//! its policies (SAM's inline `Policies`, or the explicit role it names), with every
//! intrinsic function (`!Ref`, `!GetAtt`, `!Sub`, `!Select`, `!Split`, `!Join`) resolved
//! against one stand-in stack, so that a statement's resources are ARNs to match calls
//! against.
//!
//! Anything this reader does not understand (a managed policy, a SAM policy template, an
//! unknown condition operator) is an error, never an allow: a check that guessed would
//! pass a call AWS refuses.

use std::collections::BTreeMap;

use serde_yaml_ng::Value as Yaml;

/// The stand-in stack the template is deployed as: the names its intrinsics resolve to.
#[derive(Debug, Clone)]
pub struct Stack {
    pub name: String,
    pub region: String,
    pub account: String,
    /// The table `Table` stands for.
    pub table: String,
    /// Values of the template's parameters.
    pub parameters: BTreeMap<String, String>,
}

impl Stack {
    pub fn new(table: &str, region: &str) -> Self {
        Self {
            name: "madoguchi".to_owned(),
            region: region.to_owned(),
            account: "000000000000".to_owned(),
            table: table.to_owned(),
            parameters: BTreeMap::from([
                ("Stage".to_owned(), "prod".to_owned()),
                (
                    "SenderAddress".to_owned(),
                    "no-reply@madoguchi.example".to_owned(),
                ),
            ]),
        }
    }

    /// The ARN of a table of this account and region.
    pub fn table_arn(&self, table: &str) -> String {
        if table.starts_with("arn:") {
            return table.to_owned();
        }
        format!(
            "arn:aws:dynamodb:{}:{}:table/{table}",
            self.region, self.account
        )
    }

    /// The ARN of a secret the template creates, as `!Ref` gives it (with the random
    /// suffix Secrets Manager adds).
    pub fn secret_arn(&self, logical: &str) -> String {
        format!(
            "arn:aws:secretsmanager:{}:{}:secret:{}-{logical}-AbCdEf",
            self.region, self.account, self.name
        )
    }

    /// The name of the event bus the template's resource `logical` creates.
    pub fn event_bus_name(&self, logical: &str) -> String {
        format!("{}-{logical}", self.name)
    }

    /// The ARN of an event bus of this account and region, by name (or as given, when it
    /// is an ARN already).
    pub fn event_bus_arn(&self, bus: &str) -> String {
        if bus.starts_with("arn:") {
            return bus.to_owned();
        }
        format!(
            "arn:aws:events:{}:{}:event-bus/{bus}",
            self.region, self.account
        )
    }

    /// The ARN of an SES identity (an address or a domain).
    pub fn ses_identity_arn(&self, identity: &str) -> String {
        format!(
            "arn:aws:ses:{}:{}:identity/{identity}",
            self.region, self.account
        )
    }

    fn pseudo(&self, name: &str) -> Option<String> {
        Some(match name {
            "AWS::Partition" => "aws".to_owned(),
            "AWS::Region" => self.region.clone(),
            "AWS::AccountId" => self.account.clone(),
            "AWS::StackName" => self.name.clone(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            _ => return None,
        })
    }
}

/// One `Allow` or `Deny` statement, resolved.
#[derive(Debug, Clone)]
pub struct Statement {
    pub allow: bool,
    /// Action patterns (`dynamodb:GetItem`, `logs:*`).
    pub actions: Vec<String>,
    /// Resource ARN patterns (`*` and `?` wildcards).
    pub resources: Vec<String>,
    pub conditions: Vec<Condition>,
}

/// One condition of a statement: the operator, the key, the values any of which may match.
#[derive(Debug, Clone)]
pub struct Condition {
    pub operator: Operator,
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    StringEquals,
    StringLike,
}

/// A function's statements, by the binary name its `Metadata` gives.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

/// What a call needs: one action on one resource, with the request's condition keys.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Need {
    pub action: String,
    pub resource: String,
    pub context: BTreeMap<String, String>,
}

impl Need {
    pub fn new(action: &str, resource: String) -> Self {
        Self {
            action: action.to_owned(),
            resource,
            context: BTreeMap::new(),
        }
    }
}

impl Policy {
    /// Whether IAM would allow the need: some `Allow` matches it and no `Deny` does.
    pub fn allows(&self, need: &Need) -> bool {
        let matching = |statement: &&Statement| statement.matches(need);
        let denied = self
            .statements
            .iter()
            .filter(|s| !s.allow)
            .any(|s| matching(&s));
        !denied
            && self
                .statements
                .iter()
                .filter(|s| s.allow)
                .any(|s| matching(&s))
    }

    /// The statement that allows the need, as `(action pattern, resource pattern)`.
    pub fn grant_for(&self, need: &Need) -> Option<(String, String)> {
        let statement = self
            .statements
            .iter()
            .find(|s| s.allow && s.matches(need))?;
        let action = statement
            .actions
            .iter()
            .find(|a| wildcard(a, &need.action, true))?;
        let resource = statement
            .resources
            .iter()
            .find(|r| wildcard(r, &need.resource, false))?;
        Some((action.clone(), resource.clone()))
    }

    /// Every `(action, resource)` pair an `Allow` statement grants.
    pub fn grants(&self) -> Vec<(String, String)> {
        let mut grants = Vec::new();
        for statement in self.statements.iter().filter(|s| s.allow) {
            for action in &statement.actions {
                for resource in &statement.resources {
                    grants.push((action.clone(), resource.clone()));
                }
            }
        }
        grants
    }
}

impl Statement {
    fn matches(&self, need: &Need) -> bool {
        self.actions.iter().any(|a| wildcard(a, &need.action, true))
            && self
                .resources
                .iter()
                .any(|r| wildcard(r, &need.resource, false))
            && self.conditions.iter().all(|c| c.holds(&need.context))
    }
}

impl Condition {
    fn holds(&self, context: &BTreeMap<String, String>) -> bool {
        // Condition keys are case-insensitive; a key the request does not carry fails.
        let Some((_, given)) = context
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(&self.key))
        else {
            return false;
        };
        self.values.iter().any(|value| match self.operator {
            Operator::StringEquals => value == given,
            Operator::StringLike => wildcard(value, given, false),
        })
    }
}

/// IAM's wildcard match: `*` any run of characters, `?` one. Actions compare without case.
pub fn wildcard(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let fold = |s: &str| -> Vec<char> {
        if ignore_case {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (pattern, text) = (fold(pattern), fold(text));
    // Iterative glob match with one backtrack point.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// The template, read once.
pub struct Template {
    resources: serde_yaml_ng::Mapping,
    /// `Parameters`: a parameter the stand-in stack does not set takes its `Default`.
    parameters: serde_yaml_ng::Mapping,
    /// `Globals.Function`: what SAM gives every function unless it says otherwise.
    globals: Yaml,
}

impl Template {
    /// `infra/template.yaml` of this repository.
    pub fn of_this_repository() -> Self {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Self {
        let template: Yaml = serde_yaml_ng::from_str(text).expect("the template is YAML");
        let resources = template["Resources"]
            .as_mapping()
            .expect("the template has Resources")
            .clone();
        let globals = template["Globals"]["Function"].clone();
        let parameters = template["Parameters"]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        Self {
            resources,
            parameters,
            globals,
        }
    }

    /// Every resource of type `kind`, by its logical name.
    pub fn resources_of(&self, kind: &str) -> BTreeMap<String, &Yaml> {
        self.resources
            .iter()
            .filter(|(_, r)| r["Type"].as_str() == Some(kind))
            .filter_map(|(name, r)| Some((name.as_str()?.to_owned(), r)))
            .collect()
    }

    /// The function resources, by the binary they run.
    pub fn functions(&self) -> BTreeMap<String, &Yaml> {
        self.resources
            .iter()
            .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
            .map(|(_, r)| {
                let binary = r["Metadata"]["BuildProperties"]["Binary"]
                    .as_str()
                    .expect("every function names its binary")
                    .to_owned();
                (binary, r)
            })
            .collect()
    }

    /// A function's environment as deployed: the globals' variables, then its own, each
    /// resolved against `stack`.
    pub fn environment(
        &self,
        binary: &str,
        stack: &Stack,
    ) -> Result<BTreeMap<String, String>, String> {
        let function = self
            .functions()
            .remove(binary)
            .ok_or_else(|| format!("no function runs {binary}"))?;
        let mut variables = BTreeMap::new();
        for source in [&self.globals, &function["Properties"]] {
            let Some(own) = source["Environment"]["Variables"].as_mapping() else {
                continue;
            };
            for (name, value) in own {
                let name = name.as_str().ok_or("a variable without a name")?;
                variables.insert(name.to_owned(), self.resolve(value, stack)?);
            }
        }
        Ok(variables)
    }

    /// Every function's policy, resolved against `stack`.
    pub fn policies(&self, stack: &Stack) -> Result<BTreeMap<String, Policy>, String> {
        let mut policies = BTreeMap::new();
        for (binary, function) in self.functions() {
            let policy = self
                .policy_of(function, stack)
                .map_err(|e| format!("{binary}: {e}"))?;
            policies.insert(binary, policy);
        }
        Ok(policies)
    }

    fn policy_of(&self, function: &Yaml, stack: &Stack) -> Result<Policy, String> {
        let properties = &function["Properties"];
        let mut documents = Vec::new();
        if properties.get("Role").is_some() && properties.get("Policies").is_some() {
            // SAM refuses a function with both; a grant added that way would pass here.
            return Err("both a Role and Policies: SAM takes one or the other".to_owned());
        }
        if let Some(role) = properties.get("Role") {
            // `!GetAtt SomeRole.Arn`: that role's inline policies.
            let Yaml::Tagged(tagged) = role else {
                return Err("a Role that is not `!GetAtt <role>.Arn`".to_owned());
            };
            let target = tagged.value.as_str().unwrap_or_default();
            let logical = target
                .strip_suffix(".Arn")
                .ok_or_else(|| format!("Role {target}"))?;
            let role = &self.resources[logical];
            for policy in role["Properties"]["Policies"]
                .as_sequence()
                .into_iter()
                .flatten()
            {
                documents.push(&policy["PolicyDocument"]);
            }
        }
        for policy in properties["Policies"].as_sequence().into_iter().flatten() {
            if policy.get("Statement").is_none() {
                return Err(format!(
                    "a policy this check cannot read (write its statements out): {policy:?}"
                ));
            }
            documents.push(policy);
        }
        let mut statements = Vec::new();
        for document in documents {
            for statement in document["Statement"].as_sequence().into_iter().flatten() {
                statements.push(self.statement(statement, stack)?);
            }
        }
        Ok(Policy { statements })
    }

    fn statement(&self, statement: &Yaml, stack: &Stack) -> Result<Statement, String> {
        let allow = match statement["Effect"].as_str() {
            Some("Allow") => true,
            Some("Deny") => false,
            other => return Err(format!("Effect {other:?}")),
        };
        if statement.get("NotAction").is_some() || statement.get("NotResource").is_some() {
            return Err("NotAction and NotResource are not read".to_owned());
        }
        let actions = self.strings(&statement["Action"], stack)?;
        let resources = self.strings(&statement["Resource"], stack)?;
        let mut conditions = Vec::new();
        if let Some(block) = statement.get("Condition") {
            for (operator, keys) in block.as_mapping().ok_or("a Condition that is no map")? {
                let operator = match operator.as_str() {
                    Some("StringEquals") => Operator::StringEquals,
                    Some("StringLike") => Operator::StringLike,
                    other => return Err(format!("condition operator {other:?} is not read")),
                };
                for (key, values) in keys.as_mapping().ok_or("a condition that is no map")? {
                    conditions.push(Condition {
                        operator,
                        key: key.as_str().ok_or("a condition key")?.to_owned(),
                        values: self.strings(values, stack)?,
                    });
                }
            }
        }
        Ok(Statement {
            allow,
            actions,
            resources,
            conditions,
        })
    }

    /// A string or a list of them, resolved.
    fn strings(&self, value: &Yaml, stack: &Stack) -> Result<Vec<String>, String> {
        match value {
            Yaml::Sequence(items) => items.iter().map(|item| self.resolve(item, stack)).collect(),
            Yaml::Null => Ok(Vec::new()),
            single => Ok(vec![self.resolve(single, stack)?]),
        }
    }

    /// One value, with its intrinsic functions resolved to a string.
    pub fn resolve(&self, value: &Yaml, stack: &Stack) -> Result<String, String> {
        match value {
            Yaml::String(text) => Ok(text.clone()),
            Yaml::Number(n) => Ok(n.to_string()),
            Yaml::Bool(b) => Ok(b.to_string()),
            Yaml::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                let inner = &tagged.value;
                match tag.trim_start_matches('!') {
                    "Ref" => self.reference(inner.as_str().ok_or("!Ref of no name")?, stack),
                    "GetAtt" => self.attribute(inner.as_str().ok_or("!GetAtt of no name")?, stack),
                    "Sub" => self.substitute(inner, stack),
                    "Select" => {
                        let [index, list] = pair(inner)?;
                        let index: usize = self
                            .resolve(index, stack)?
                            .parse()
                            .map_err(|_| "!Select index")?;
                        let list = self.list(list, stack)?;
                        list.get(index)
                            .cloned()
                            .ok_or("!Select past the end".to_owned())
                    }
                    "Join" => {
                        let [delimiter, list] = pair(inner)?;
                        let delimiter = self.resolve(delimiter, stack)?;
                        Ok(self.list(list, stack)?.join(&delimiter))
                    }
                    other => Err(format!("intrinsic !{other} is not read")),
                }
            }
            other => Err(format!("a value this check cannot resolve: {other:?}")),
        }
    }

    /// A list: a sequence, or `!Split`.
    fn list(&self, value: &Yaml, stack: &Stack) -> Result<Vec<String>, String> {
        if let Yaml::Tagged(tagged) = value
            && tagged.tag.to_string().trim_start_matches('!') == "Split"
        {
            let [delimiter, text] = pair(&tagged.value)?;
            let delimiter = self.resolve(delimiter, stack)?;
            let text = self.resolve(text, stack)?;
            return Ok(text.split(delimiter.as_str()).map(str::to_owned).collect());
        }
        self.strings(value, stack)
    }

    fn reference(&self, name: &str, stack: &Stack) -> Result<String, String> {
        if let Some(value) = stack
            .pseudo(name)
            .or_else(|| stack.parameters.get(name).cloned())
            .or_else(|| {
                self.parameters
                    .get(name)
                    .and_then(|p| p["Default"].as_str())
                    .map(str::to_owned)
            })
        {
            return Ok(value);
        }
        let resource = self
            .resources
            .get(name)
            .ok_or_else(|| format!("!Ref {name}: no such parameter or resource"))?;
        Ok(match resource["Type"].as_str() {
            Some("AWS::DynamoDB::Table") => stack.table.clone(),
            Some("AWS::SecretsManager::Secret") => stack.secret_arn(name),
            Some("AWS::Events::EventBus") => stack.event_bus_name(name),
            Some(other) => format!("{}-{name}-{}", stack.name, other.replace("::", "-")),
            None => return Err(format!("!Ref {name}: a resource without a Type")),
        })
    }

    fn attribute(&self, target: &str, stack: &Stack) -> Result<String, String> {
        let (name, attribute) = target
            .split_once('.')
            .ok_or_else(|| format!("!GetAtt {target}"))?;
        let resource = self
            .resources
            .get(name)
            .ok_or_else(|| format!("!GetAtt {target}: no such resource"))?;
        let (region, account) = (&stack.region, &stack.account);
        Ok(match (resource["Type"].as_str(), attribute) {
            (Some("AWS::DynamoDB::Table"), "Arn") => stack.table_arn(&stack.table),
            (Some("AWS::DynamoDB::Table"), "StreamArn") => format!(
                "{}/stream/2026-01-01T00:00:00.000",
                stack.table_arn(&stack.table)
            ),
            (Some("AWS::Events::EventBus"), "Arn") => {
                stack.event_bus_arn(&stack.event_bus_name(name))
            }
            (Some("AWS::SQS::Queue"), "Arn") => {
                format!("arn:aws:sqs:{region}:{account}:{}-{name}", stack.name)
            }
            (Some("AWS::IAM::Role"), "Arn") => {
                format!("arn:aws:iam::{account}:role/{}-{name}", stack.name)
            }
            (kind, attribute) => {
                format!(
                    "arn:aws:{}:{region}:{account}:{name}.{attribute}",
                    kind.unwrap_or("?")
                )
            }
        })
    }

    /// `!Sub "text"` or `!Sub ["text", {name: value}]`.
    fn substitute(&self, value: &Yaml, stack: &Stack) -> Result<String, String> {
        let (text, names) = match value {
            Yaml::String(text) => (text.clone(), BTreeMap::new()),
            Yaml::Sequence(items) if items.len() == 2 => {
                let text = items[0].as_str().ok_or("!Sub text")?.to_owned();
                let mut names = BTreeMap::new();
                for (name, value) in items[1].as_mapping().ok_or("!Sub names")? {
                    names.insert(
                        name.as_str().ok_or("!Sub name")?.to_owned(),
                        self.resolve(value, stack)?,
                    );
                }
                (text, names)
            }
            other => return Err(format!("!Sub of {other:?}")),
        };
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').ok_or("!Sub: an unclosed ${")? + start;
            let name = &rest[start + 2..end];
            let value = match names.get(name) {
                Some(value) => value.clone(),
                None if name.contains('.') && !name.starts_with("AWS::") => {
                    self.attribute(name, stack)?
                }
                None => self.reference(name, stack)?,
            };
            out.push_str(&value);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

fn pair(value: &Yaml) -> Result<[&Yaml; 2], String> {
    match value.as_sequence().map(Vec::as_slice) {
        Some([a, b]) => Ok([a, b]),
        _ => Err(format!("expected two arguments: {value:?}")),
    }
}

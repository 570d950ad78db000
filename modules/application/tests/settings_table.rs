//! The function's validator over the table of settings values that the stack's Terraform
//! validations are tested against too (`infra/tests/settings_table.json`, turned into a
//! `terraform test` by `infra/tests/settings_table.py`): a value the stack accepts is a value
//! the function starts with, and a value it refuses is one the function would refuse at every
//! cold start.

use std::collections::BTreeMap;

use imagepipe_application::FunctionConfig;
use serde_json::Value;

const TABLE: &str = include_str!("../../../infra/tests/settings_table.json");

fn config_with(variable: &str, value: &str) -> Result<FunctionConfig, imagepipe_core::ConfigError> {
    let vars: BTreeMap<String, String> = [
        ("IMAGEPIPE_OUTPUT_BUCKET", "out"),
        ("IMAGEPIPE_RECORDS_TABLE", "records"),
        (variable, value),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    FunctionConfig::from_vars(&vars)
}

fn settings() -> Vec<(String, Value)> {
    let table: Value = serde_json::from_str(TABLE).expect("the table is JSON");
    let settings = table["settings"].as_object().expect("settings");
    settings
        .iter()
        .map(|(name, setting)| (name.clone(), setting.clone()))
        .collect()
}

#[test]
fn the_function_accepts_exactly_the_values_the_table_accepts() {
    let mut checked = 0;
    for (name, setting) in settings() {
        let variable = setting["environment"].as_str().expect("environment");
        for case in setting["accepted"].as_array().expect("accepted") {
            let value = case["value"].as_str().expect("value");
            let config = config_with(variable, value)
                .unwrap_or_else(|e| panic!("{name} = {value:?} is in the table as accepted: {e}"));
            if let Some(prefix) = case.get("prefix") {
                assert_eq!(
                    config.pipeline.output_prefix,
                    prefix.as_str().expect("prefix"),
                    "{name} = {value:?}"
                );
            }
            checked += 1;
        }
        for case in setting["refused"].as_array().expect("refused") {
            let value = case.as_str().expect("a refused value is a string");
            let error = config_with(variable, value)
                .expect_err(&format!("{name} = {value:?} is in the table as refused"));
            assert_eq!(error.variable, variable, "{name} = {value:?}");
            checked += 1;
        }
    }
    assert!(checked > 50, "the table lost its cases: {checked}");
}

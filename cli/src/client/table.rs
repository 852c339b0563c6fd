//! Tables in the style of the `openstack` CLI: one row per field for a single resource, one row per
//! resource (chosen columns) for a list.

use serde_json::Value;

/// Prints `value` (a JSON object) as a Field | Value table.
pub(crate) fn print_resource(value: &Value) {
    let rows: Vec<Vec<String>> = match value.as_object() {
        Some(object) => object.iter().map(|(key, value)| vec![key.clone(), cell(value)]).collect(),
        None => vec![vec!["value".into(), cell(value)]],
    };
    print!("{}", render(&["Field", "Value"], &rows));
}

/// Prints the objects in `items` as a table with the given columns.
pub(crate) fn print_list(items: &Value, columns: &[&str]) {
    let rows: Vec<Vec<String>> = items
        .as_array()
        .map(|items| items.iter().map(|item| columns.iter().map(|c| cell(&item[*c])).collect()).collect())
        .unwrap_or_default();
    print!("{}", render(columns, &rows));
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, text) in widths.iter_mut().zip(row) {
            *width = (*width).max(text.lines().map(|l| l.chars().count()).max().unwrap_or(0));
        }
    }
    let rule: String = widths.iter().map(|w| format!("+{}", "-".repeat(w + 2))).collect::<String>() + "+\n";
    let line = |cells: Vec<&str>| -> String {
        cells.iter().zip(&widths).map(|(text, w)| format!("| {text:<w$} ", w = *w)).collect::<String>() + "|\n"
    };
    let mut out = rule.clone();
    out += &line(header.to_vec());
    out += &rule;
    for row in rows {
        // A multi-line value takes as many table lines as it has lines.
        let height = row.iter().map(|text| text.lines().count().max(1)).max().unwrap_or(1);
        for i in 0..height {
            out += &line(row.iter().map(|text| text.lines().nth(i).unwrap_or("")).collect());
        }
    }
    out + &rule
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_aligns_its_columns() {
        let rows = vec![vec!["id".to_owned(), "1234".to_owned()], vec!["name".to_owned(), "x".to_owned()]];
        assert_eq!(
            render(&["Field", "Value"], &rows),
            "+-------+-------+\n| Field | Value |\n+-------+-------+\n| id    | 1234  |\n| name  | x     |\n+-------+-------+\n"
        );
    }

    #[test]
    fn multi_line_values_span_several_lines() {
        let rows = vec![vec!["log".to_owned(), "a\nbb".to_owned()]];
        assert_eq!(
            render(&["k", "v"], &rows),
            "+-----+----+\n| k   | v  |\n+-----+----+\n| log | a  |\n|     | bb |\n+-----+----+\n"
        );
    }
}

//! Extraction tests on invented job-ad and news snippets (never on evaluation data).

use super::compile::TechFile;
use super::*;

fn dict() -> TechDictionary {
    TechDictionary::builtin().expect("built-in tech.toml compiles")
}

fn names(text: &str) -> Vec<String> {
    dict().extract_names(text)
}

fn set(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn builtin_dictionary_is_broad_and_every_safe_name_finds_itself() {
    let d = dict();
    let products = d.names().count();
    assert!(products >= 250, "only {products} products");
    let file: TechFile = toml::from_str(BUILTIN).unwrap();
    let mut misses = Vec::new();
    for spec in &file.tech {
        // A name that is also a word is ambiguous or cased: not found alone, by design.
        let guarded = spec
            .ambiguous
            .iter()
            .chain(&spec.exact)
            .any(|g| fold(g.trim_end_matches('*')).text == spec.name);
        if guarded {
            continue;
        }
        let text = format!("The team works with {} every day.", spec.name);
        let found: Vec<&str> = d.scan(&text).iter().map(|m| m.name).collect();
        if found != [spec.name.as_str()] {
            misses.push(format!("{} → {found:?}", spec.name));
        }
    }
    assert!(misses.is_empty(), "names not found alone: {misses:#?}");
}

#[test]
fn a_job_ad_yields_its_stack_in_order() {
    let ad = "Senior Backend Engineer (Payments)\n\
              You will extend payment services coded with Java 17 and Kotlin on Spring Boot, hosted on Kubernetes \
              in AWS, and keep their data in PostgreSQL and Redis. The front end is React and \
              TypeScript; CI runs on GitLab CI with Terraform.";
    assert_eq!(
        names(ad),
        set(&[
            "java",
            "kotlin",
            "spring boot",
            "kubernetes",
            "aws",
            "postgresql",
            "redis",
            "react",
            "typescript",
            "gitlab",
            "terraform"
        ])
    );
}

#[test]
fn separators_in_names_are_respected() {
    assert_eq!(
        names("Stack: C#, .NET 6, ASP.NET Core, C++17, Node.js, Vue.js, F# and SAP S/4HANA."),
        set(&[
            "c#",
            ".net core",
            "asp.net",
            "c++",
            "node.js",
            "vue",
            "f#",
            "sap s/4hana"
        ])
    );
    // ".NET" inside ADO.NET is .NET; "node" in Node.js is not a separate hit.
    assert_eq!(names("Data access via ADO.NET."), set(&[".net"]));
    assert_eq!(names("A java.util.List is returned."), set(&[]));
}

#[test]
fn one_c_products_in_cyrillic_latin_and_with_spaces() {
    // Cyrillic С, Latin C, "1C: ERP" with a space after the colon, and «quotes».
    let t = "Переходим с 1С:УПП на 1C: ERP, бухгалтерия остается в «1С:Бухгалтерии», \
             зарплата в 1С ЗУП.";
    assert_eq!(
        names(t),
        set(&["1с:упп", "1с:erp", "1с:бухгалтерия", "1с:зуп"])
    );
    let d = dict();
    let m = d.extract(t);
    assert_eq!(&t[m[1].start..m[1].end], "1C: ERP");
    assert_eq!(&t[m[2].start..m[2].end], "1С:Бухгалтерии");
    // A bare 1С is the platform; "1С:До" does not swallow "1С до конца года".
    assert_eq!(
        names("Программист 1С нужен до конца года; 1С до 2027 года."),
        set(&["1с"])
    );
}

#[test]
fn russian_products_and_inflections() {
    assert_eq!(
        names(
            "Магазин работает на Битриксе, заказы ведем в Битрикс24, склад в «МойСклад», \
             сервер на Астра Линуксе и РЕД ОС, база на Постгресе, задачи в Мегаплане."
        ),
        set(&[
            "1с-битрикс",
            "битрикс24",
            "мойсклад",
            "astra linux",
            "ред ос",
            "postgresql",
            "мегаплан"
        ])
    );
    assert_eq!(
        names("Опыт работы с PostgreSQL и ClickHouse, знание Python и Go, Directum, ELMA365."),
        set(&[
            "postgresql",
            "clickhouse",
            "python",
            "go",
            "directum",
            "elma"
        ])
    );
}

#[test]
fn ordinary_words_are_not_technologies() {
    for text in [
        "We go to market in the spring with a new campaign.",
        "Warren Buffett, the Oracle of Omaha, praised the deal.",
        "Crews react quickly to rust on the hull; the shell was swift to excel.",
        "Take the express train; access is free for unity members.",
        "Series C funding will pay for R&D and C-level hires.",
        "Let's Go! Spring is here.",
        "Embers of the old factory; a flask of tea; the helm of the ship.",
        "Мой склад полон, контур здания готов, тезис доказан.",
        "В зоопарке поселился питон, а докеры порта вышли на смену.",
        "The earthquake struck West Java on Tuesday.",
    ] {
        assert_eq!(names(text), set(&[]), "{text}");
    }
}

#[test]
fn ambiguous_names_count_in_lists_and_templates() {
    assert_eq!(names("Python, Go, Rust"), set(&["python", "go", "rust"]));
    assert_eq!(
        names("Stack:\nterraform go kubernetes"),
        set(&["terraform", "go", "kubernetes"])
    );
    assert_eq!(
        names("Either Python or Go will do."),
        set(&["python", "go"])
    );
    assert_eq!(
        names("Experience with Spring and Hibernate."),
        set(&["spring", "hibernate"])
    );
    assert_eq!(names("You are a Go developer."), set(&["go"]));
    assert_eq!(names("We build UIs in React."), set(&["react"]));
    assert_eq!(
        names("Statistics in R, dashboards in Tableau."),
        set(&["r", "tableau"])
    );
    assert_eq!(
        names("Migrating from Oracle to PostgreSQL."),
        set(&["oracle", "postgresql"])
    );
    assert_eq!(names("Опыт разработки на Go."), set(&["go"]));
}

#[test]
fn a_neighbour_without_a_list_does_not_confirm() {
    // "Spring" next to a product, but as a season.
    assert_eq!(
        names("Last spring, Salesforce bought a startup."),
        set(&["salesforce"])
    );
    assert_eq!(
        names("Brightwater replaced Salesforce with HubSpot last spring."),
        set(&["salesforce", "hubspot"])
    );
    // A casing rule: lowercase "r" is not R.
    assert_eq!(names("python, r, sql"), set(&["python", "sql"]));
}

#[test]
fn generic_classes_are_scanned_but_not_extracted() {
    let d = dict();
    let t = "Компания внедрила CRM-систему и перевела учет в облако.";
    assert!(d.extract(t).is_empty());
    let g: Vec<&str> = d.scan(t).iter().map(|m| m.name).collect();
    assert_eq!(g, vec!["crm", "cloud"]);
}

#[test]
fn user_files_add_and_extend_entries() {
    let extra = [(
        "mine.toml".to_string(),
        r#"
context = ["_ ledger"]
[[tech]]
name = "quantumledger"
category = "erp"
aliases = ["quantum ledger"]
[[tech]]
name = "postgresql"
aliases = ["pg"]
"#
        .to_string(),
    )];
    let d = TechDictionary::from_sources(&extra).unwrap();
    assert_eq!(
        d.extract_names("We run Quantum-Ledger on PG."),
        set(&["quantumledger", "postgresql"])
    );
    assert_eq!(d.len(), dict().len() + 1);
}

#[test]
fn bad_user_files_name_the_file_and_entry() {
    let bad = |text: &str| {
        TechDictionary::from_sources(&[("mine.toml".to_string(), text.to_string())])
            .unwrap_err()
            .to_string()
    };
    let e = bad("[[tech]]\nname = \"zorbix\"\n");
    assert!(
        e.contains("mine.toml") && e.contains("zorbix") && e.contains("category"),
        "{e}"
    );
    let e = bad("[[tech]]\nname = \"zorbix\"\ncategory = \"erp\"\naliases = [\"postgres\"]\n");
    assert!(e.contains("zorbix") && e.contains("postgresql"), "{e}");
    let e = bad("[[tech]]\nname = \"Zorbix\"\ncategory = \"erp\"\n");
    assert!(e.contains("Zorbix") && e.contains("lowercase"), "{e}");
    let e = bad("[[tech]]\nname = \"zorbix\"\ncategory = \"erp\"\ncontext = [\"zorbix rocks\"]\n");
    assert!(e.contains("zorbix rocks") && e.contains("`_`"), "{e}");
    let e = bad("[[tech]]\nname = \"postgresql\"\ncategory = \"language\"\n");
    assert!(e.contains("postgresql") && e.contains("database"), "{e}");
    let e = bad("[[tech]]\nname = \"zorbix\"\ncategory = \"erp\"\nalias = [\"z\"]\n");
    assert!(e.contains("mine.toml") && e.contains("alias"), "{e}");
}

#[test]
fn spans_map_back_through_folding() {
    let t = "ЁЛКА — «Битрикс24»,\u{00a0}Microsoft\u{00a0}Azure и   Power  BI.";
    let d = dict();
    let got: Vec<(&str, &str)> = d
        .extract(t)
        .iter()
        .map(|m| (m.name, &t[m.start..m.end]))
        .collect();
    assert_eq!(
        got,
        vec![
            ("битрикс24", "Битрикс24"),
            ("azure", "Microsoft\u{00a0}Azure"),
            ("power bi", "Power  BI")
        ]
    );
}

#[test]
fn tickers_company_names_and_capitals_are_not_products() {
    for text in [
        "KELVANE CORP <ELK> SETS QUARTERLY DIVIDEND",
        "Zentrix (NYSE: SAP) and Kelvane (NASDAQ:ELK) will report on Friday.",
        "TRUCKERS SPOT ELK NEAR THE NEW DEPOT",
        "SERIES C FUNDING FOR R AND D",
        "Azure Holdings Ltd agreed to buy a printing firm.",
        "Salesforce Inc. shares fell 3% after the report.",
        "Kelvane built its depot on Shell's old site.",
    ] {
        assert_eq!(names(text), set(&[]), "{text}");
    }
    // Capitals among ordinary words still count.
    assert_eq!(
        names("We moved our ledgers to SAP and our logs to the ELK stack."),
        set(&["sap", "elk"])
    );
}

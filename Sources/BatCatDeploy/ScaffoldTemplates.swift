/// The text of the files `batcat new` writes.
enum ScaffoldTemplates {
    static func readme(name: String) -> String {
        """
        # \(name)

        A tabular machine-learning project managed with BatCat.

        ## Run the example

        ```sh
        batcat config show                                   # the configuration, and where each value comes from
        batcat train                                         # trains train.yaml, registers \(name) in production
        batcat score --model \(name) --input data/raw --output data/result
        batcat keys new me --file keys.txt                   # an API key for the server (printed once)
        batcat serve --model \(name) --keys-file keys.txt     # serves it on 127.0.0.1:8080
        ```

        `train.yaml` trains on the example data in `data/raw/biopsy.csv`; put your own data in `data/raw/`
        and change the spec. Trained models and the registry are in `model/`, predictions in `data/result/`,
        logs in `log/`. Every command finds the project from any folder inside it.

        ## Layout

        | folder | holds |
        | --- | --- |
        | `data/raw`, `data/train`, `data/test`, `data/result`, `data/tmp` | data (not committed: see `.gitignore`) |
        | `model/` | model artifacts |
        | `notebook/` | exploration notebooks |
        | `script/` | helper scripts |
        | `test/` | tests of the project's own code |
        | `report/` | generated reports |
        | `docs/` | how the project is documented (start with `docs/README.md`) |
        | `log/` | log files |

        ## Configuration

        `config.json` holds the defaults. Setting `BATCAT_ENV=prod` layers `config.prod.json` on top.
        Environment variables `BATCAT_…` override both (`BATCAT_LOG_LEVEL=debug` sets `log.level`), and
        `--set key=value` on the command line overrides everything.

        """
    }

    static let gitignore = """
        # Data stays out of git; the folders stay in (each keeps a .gitkeep).
        data/**
        !data/**/
        !data/**/.gitkeep

        # Logs
        log/*
        !log/.gitkeep
        *.log

        # Build output and caches
        .build/
        build/
        dist/
        __pycache__/
        *.pyc
        .ipynb_checkpoints/
        .DS_Store

        """

    static func docsGuide(name: String) -> String {
        """
        # Documenting \(name)

        Write the project down as you go, so that someone new can follow, repeat and judge the work.
        Keep one page per heading below, or one page with these sections.

        ## Problem
        What decision does the model support, and who uses its output? State the target, the unit
        being predicted (a customer, a day, a claim) and what a good enough result looks like in the
        business's own terms, before any metric.

        ## Data
        Where each table comes from, how it was extracted (query, date range, filters), how many rows
        and columns, what each column means and its unit. Note known gaps, missing values, leakage
        risks and anything that changes over time.

        ## Method
        The preparation steps (imputation, encoding, scaling, outliers), the features kept and why,
        the split (random, by time, by group) and the models compared. Point at the training spec in
        the repository rather than repeating it.

        ## Experiments
        One entry per run that mattered: the date, the spec or commit, what changed and why, and the
        metrics it gave. Keep the failures too; they save the next person time.

        ## Results
        The chosen model, its metrics on held-out data, its known weaknesses (segments where it does
        badly), and how it is monitored once in production.

        """
    }

    static func config(name: String) -> String {
        """
        {
          "project": {
            "name": "\(name)"
          },
          "log": {
            "level": "info",
            "format": "human"
          },
          "registry": {
            "path": "model/registry.sqlite",
            "store": "model/artifacts"
          }
        }

        """
    }

    static let prodConfig = """
        {
          "log": {
            "level": "warning",
            "format": "json",
            "file": "log/batcat.log"
          }
        }

        """

    static func trainingSpec(name: String, register: Bool = true) -> String {
        """
        # Training spec for \(name): `batcat train` reads it (paths are relative to this file).
        #
        # The example: benign (2) or malignant (4) from nine cell measurements of the Wisconsin breast-cancer
        # data in data/raw/biopsy.csv. Replace the data, the target and the steps with your own; every key is
        # described in BatCat's README ("Training specs").
        name: \(name)
        data: data/raw/biopsy.csv
        target: class
        exclude: [id]
        split: {method: stratified, test: 0.2}
        preprocessing:
          - {name: impute, type: simpleImputer, strategy: median, addIndicator: true}
          - {name: scale, type: standardScaler}
        estimator: {type: logisticRegression}
        gate: ["accuracy >= 0.9"]
        seed: 7
        output: model/\(name).model.json
        \(register ? "register: {model: \(name), stage: production}\n" : "")
        """
    }
}

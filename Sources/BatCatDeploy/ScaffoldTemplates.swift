/// The text of the files `batcat new` writes.
enum ScaffoldTemplates {
    static func readme(name: String) -> String {
        """
        # \(name)

        A tabular machine-learning project managed with BatCat.

        ## Run the example

        ```sh
        batcat config show          # the effective configuration and where each value comes from
        batcat train train.yaml     # train the model described in train.yaml
        ```

        Put raw data in `data/raw/`; prepared splits go to `data/train/` and `data/test/`, predictions
        to `data/result/`. Trained models are written to `model/`, logs to `log/`.

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
        | `deploy/` | deployment settings (`deploy/config.json`, explained in `deploy/README.md`) |
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
          "paths": {
            "raw": "data/raw",
            "train": "data/train",
            "test": "data/test",
            "result": "data/result",
            "tmp": "data/tmp",
            "model": "model",
            "report": "report"
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

    static func deployConfig(name: String) -> String {
        """
        {
          "project": "\(name)",
          "purpose": "REPLACE: one sentence on what the deployed model is for",
          "resultBucket": "REPLACE: s3://bucket/prefix where batch results are written",
          "region": "REPLACE: AWS region, for example eu-west-1",
          "partition": "aws",
          "executionRole": "REPLACE: arn:aws:iam::ACCOUNT:role/NAME that jobs and endpoints run as"
        }

        """
    }

    static let deployGuide = """
        # Deployment settings

        `config.json` in this folder describes where the project runs. Every `REPLACE:` value must be
        filled in before anything is deployed.

        | key | meaning | example |
        | --- | --- | --- |
        | `project` | the project's name; used to name jobs, endpoints and buckets' prefixes | `churn-model` |
        | `purpose` | one sentence on what the deployed model is for; recorded as a tag on resources | `Scores customers' churn risk nightly` |
        | `resultBucket` | the S3 location that batch results are written to | `s3://acme-ml/churn/results` |
        | `region` | the AWS region that jobs and endpoints run in | `eu-west-1` |
        | `partition` | the AWS partition: `aws`, `aws-cn` or `aws-us-gov` | `aws` |
        | `executionRole` | the IAM role that jobs and endpoints assume | `arn:aws:iam::123456789012:role/churn-ml` |

        Credentials never go in this file: they come from the environment or the platform's role.

        """

    static func trainingSpec(name: String) -> String {
        """
        # Training spec for \(name).
        #
        # The training-spec format is defined with `batcat train`, which this version of BatCat does
        # not have yet; this file marks where the spec lives and names what it will hold:
        # the data source, the target column, the features, the split, the preprocessing steps,
        # the estimator and its hyperparameters, the metrics, the gate a model must pass, the seed
        # and the output path.
        project: \(name)

        """
    }
}

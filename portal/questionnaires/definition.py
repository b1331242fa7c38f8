"""Questionnaire definitions: parse, validate and model the YAML files.

The work is split in three modules: ``model.py`` (the immutable sections, questions and
parts), ``checking.py`` (the schema and the semantic checks) and ``loading.py`` (reading a
file, checking it, building the model). This module is the one name the rest of the portal
imports them by.

A definition file is the whole questionnaire of one version (sections, questions,
typed parts, nb/en texts, review guidance). Published versions never change, so
everything the form engine needs, option labels included, lives in the file; the
only exception is the ISO 3166 country list, which the loader fills in.

Validation runs in three steps and reports every problem it finds, each tied to
a path in the document (``sections[2].questions[0].parts[1].min``):

1. YAML syntax (safe loading only; duplicate keys are refused too),
2. structure against ``schema.json`` (JSON Schema 2020-12),
3. semantics the schema cannot express (unique ids, conditions, references).

This module is pure Python; the Flask layer wraps it.
"""
from __future__ import annotations

from portal.questionnaires.checking import format_path
from portal.questionnaires.loading import load_definition, parse_definition, shipped_definitions
from portal.questionnaires.model import (
    AGREEMENT,
    BUILTIN_OPTIONS,
    CHOICE_TYPES,
    COMPANY,
    OPTIONS_FROM,
    PART_TYPES,
    ROOT_PATH,
    SCHEMA_PATH,
    SHIPPED_DIR,
    SOCIAL_DIALOGUE,
    TYPE_RULES,
    VARIANTS,
    Condition,
    Definition,
    DefinitionError,
    DefinitionProblem,
    Option,
    Part,
    Question,
    Review,
    Section,
    Text,
    TypeRules,
    country_options,
    rules_of,
)

__all__ = [
    "AGREEMENT", "BUILTIN_OPTIONS", "CHOICE_TYPES", "COMPANY", "OPTIONS_FROM", "PART_TYPES", "ROOT_PATH",
    "SCHEMA_PATH", "SHIPPED_DIR", "SOCIAL_DIALOGUE", "TYPE_RULES", "VARIANTS", "Condition", "Definition",
    "DefinitionError", "DefinitionProblem", "Option", "Part", "Question", "Review", "Section", "Text",
    "TypeRules", "country_options", "rules_of", "format_path", "load_definition", "parse_definition", "shipped_definitions",
]

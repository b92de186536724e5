"""The licence of the registry's own work: the compilation (its selection, arrangement,
keys, English renderings and descriptions) under CC BY 4.0. Each source keeps its own
terms (the seed's texts: the Japanese government's standard terms of use), stated beside
it wherever the licence is: pages, datapackage.json, the OpenAPI description. Nothing here
counts or names the sources: the registry adds them."""

from django.utils.translation import gettext_lazy as _

ID = "CC-BY-4.0"
TITLE = "Creative Commons Attribution 4.0 International"
URL = "https://creativecommons.org/licenses/by/4.0/"
NAME = "CC BY 4.0"
STATEMENT = _(
    "レジストリの編集（記録の選択・構成、キー、英語の表記・説明）は CC BY 4.0 で提供します。"
    "引用した資料の文言と事実は、資料ごとに示した利用条件に従います。"
)

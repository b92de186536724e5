"""The import and export forms: only CSV (UTF-8) and XLSX within the limits, columns named as the forms name them."""

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from import_export.forms import ConfirmImportForm, ImportForm, SelectableFieldsExportForm

from .. import resources as resources_module


class RegistryImportForm(ImportForm):
    """Only CSV (UTF-8) and XLSX within the import limits, and the file must be what it claims."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.format_classes = formats
        self.fields["resource"].label = _("取込の種類")
        self.fields["format"].label = _("形式")
        self.fields["import_file"].label = _("取り込むファイル")
        self.fields["import_file"].help_text = _(
            "CSV（UTF-8、Excelでは「CSV UTF-8（コンマ区切り）」で保存）または XLSX、5MB・%(rows)s行・全体で%(chars)s文字まで。"
            "1行目は列名（エクスポートしたファイルと同じ）。"
        ) % {"rows": f"{resources_module.MAX_IMPORT_ROWS:,}", "chars": f"{resources_module.MAX_IMPORT_CHARS:,}"}

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("import_file")
        index = cleaned.get("format")
        if upload is None or index in (None, ""):
            return cleaned
        fmt = self.format_classes[int(index)]
        if upload.size > resources_module.MAX_IMPORT_BYTES:
            raise forms.ValidationError({"import_file": resources_module.TOO_LARGE})
        data = upload.read()
        upload.seek(0)
        try:
            resources_module.check_import_file(upload.name or "", data, xlsx=fmt.__name__ == "RegistryXLSX")
        except resources_module.ImportFileError as exc:
            raise forms.ValidationError({"import_file": str(exc)}) from None
        return cleaned


class RegistryExportForm(SelectableFieldsExportForm):
    """The export's column choices named as the form names them (名称（日本語）), with the
    file's column name beside, instead of "Name Ja"."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.fields["resource"].label = _("書き出しの種類")
        self.fields["format"].label = _("形式")

    def _get_field_label(self, resource, field_name):
        model = resource._meta.model
        field = resource.fields.get(field_name)
        column = field.column_name if field else field_name
        attribute = (field.attribute if field else None) or field_name
        for name in (attribute, f"{attribute}_date"):
            try:
                label = model._meta.get_field(name).verbose_name
            except FieldDoesNotExist:
                continue
            return f"{label} ({column})"
        return column


class RegistryConfirmForm(ConfirmImportForm):
    """The confirmation step: the temporary file's name must be one the preview made (it
    cannot name any other file). What the preview saw is kept on the server beside the
    file, not in the form."""

    def clean_import_file_name(self):
        name = self.cleaned_data["import_file_name"]
        if not resources_module.valid_tmp_name(name):
            raise forms.ValidationError(_("取込ファイルの指定が正しくありません。もう一度ファイルを選んでください。"))
        return name


def _line(number) -> str:
    return _("%(line)s行目") % {"line": number + 1}

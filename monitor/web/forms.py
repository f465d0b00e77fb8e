"""The web forms (Flask-WTF, so every one carries a CSRF token), with Indonesian messages."""
from __future__ import annotations

from datetime import date
from typing import TypeVar

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    Field,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3; stubs are 3.2
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from monitor.service.reports import ReportError
from monitor.service.users import ROLE_NAMES, ROLES, UserError
from monitor.timezones import today_wib

_Value = TypeVar("_Value")

# WTForms' own messages that these forms can show, in Indonesian (WTForms ships no Indonesian catalogue)
_MESSAGES = {
    "This field is required.": "Wajib diisi.",
    "Not a valid choice.": "Pilihan tidak sah.",
    "Invalid Choice: could not coerce.": "Pilihan tidak sah.",
    "Invalid input.": "Isian tidak sah.",
    "Not a valid date value.": "Tanggal tidak sah: tulis sebagai TTTT-BB-HH.",
    "Not a valid integer value.": "Harus bilangan bulat.",
    "'%(value)s' is not a valid choice for this field.": "'%(value)s' bukan pilihan yang sah.",
    "'%(value)s' are not valid choices for this field.": "'%(value)s' bukan pilihan yang sah.",
}


class _Indonesian:
    def gettext(self, string: str) -> str:
        return _MESSAGES.get(string, string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


class Form(FlaskForm):
    """A form whose built-in messages are Indonesian."""

    class Meta:
        def get_translations(self, form):
            return _Indonesian()


class CheckboxesField(SelectMultipleField):
    """A list of checkboxes (readable on a phone, unlike a multiple select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _required(what: str) -> DataRequired:
    return DataRequired(message=f"Isi {what}.")


def required(value: _Value | None) -> _Value:
    """A required field's value once the form is valid (its DataRequired refuses None)."""
    if value is None:
        raise ValueError("a required field was read before the form was validated")
    return value


def text(field: Field) -> str:
    """A text field's value; "" for a field the request did not send (WTForms leaves None)."""
    return field.data or ""


def choices(pairs) -> list[SelectChoice]:
    """Options of a select or checkbox list from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


ROLE_CHOICES = choices((role, ROLE_NAMES[role]) for role in ROLES)


class LoginForm(Form):
    username = StringField("Nama pengguna", validators=[_required("nama pengguna"), Length(max=80)])
    password = PasswordField("Kata sandi", validators=[_required("kata sandi"), Length(max=1024)])


class _NewPassword:
    password = PasswordField("Kata sandi", validators=[_required("kata sandi")])
    password_again = PasswordField("Ulangi kata sandi", validators=[
        _required("kata sandi sekali lagi"), EqualTo("password", message="Kedua kata sandi tidak sama.")])


class PasswordForm(Form, _NewPassword):
    pass


class SetupForm(Form, _NewPassword):
    username = StringField("Nama pengguna", validators=[_required("nama pengguna")])
    display_name = StringField("Nama lengkap", validators=[Optional()])
    email = StringField("Surel", validators=[Optional()])


class AddUserForm(Form, _NewPassword):
    username = StringField("Nama pengguna", validators=[_required("nama pengguna")])
    display_name = StringField("Nama lengkap", validators=[Optional()])
    email = StringField("Surel", validators=[Optional()])
    role = SelectField("Peran", choices=ROLE_CHOICES, default="staff")
    region_code = SelectField("Wilayah kerja")


class RoleForm(Form):
    role = SelectField("Peran", choices=ROLE_CHOICES)


class SubscriptionForm(Form):
    enabled = BooleanField("Kirim ringkasan harian lewat surel")
    kabupaten = CheckboxesField("Kabupaten/kota yang diikuti (kosong: semua)")
    categories = CheckboxesField("Kategori yang diikuti (kosong: semua)")


class AddSourceForm(Form):
    url = StringField("Alamat situs atau feed", validators=[_required("alamat situs atau feed"), Length(
        max=2048, message="Alamat terlalu panjang (maksimal 2048 karakter).")])
    feed_id = StringField("Id sumber (boleh kosong)", validators=[Optional()])
    region = SelectField("Wilayah liputan")


class TokenForm(Form):
    """A new API token: a name to tell it apart and its scope (the roles up to the user's own)."""

    name = StringField("Nama token", validators=[_required("nama token"), Length(
        max=100, message="Nama token maksimal 100 karakter.")])
    role = SelectField("Cakupan (peran)")


class ActionForm(Form):
    """A button that changes something (enable, disable): only the CSRF token."""


MAX_NOTE = 2000


def _note(label: str = "Catatan (boleh kosong)") -> TextAreaField:
    return TextAreaField(label, validators=[Optional(), Length(
        max=MAX_NOTE, message=f"Catatan terlalu panjang (maksimal {MAX_NOTE} karakter).")])


class StatusForm(Form):
    """An alert's next status and why."""

    status = SelectField("Status baru", validators=[_required("status baru")])
    note = _note("Catatan tindak lanjut (boleh kosong)")


class LinkForm(Form):
    """Link an alert to a RAD-PKS action by hand."""

    action = SelectField("Aksi RAD-PKS", coerce=int, validators=[DataRequired(message="Pilih aksi RAD-PKS.")])
    note = _note()


class CorrectForm(Form):
    """An analyst's categories and kabupaten for an alert (kept as labels for retraining)."""

    categories = CheckboxesField("Kategori yang benar")
    kabupaten = CheckboxesField("Kabupaten/kota yang benar (kosong: tidak tentang kabupaten tertentu)")
    note = _note()


class MergeForm(Form):
    """Another alert about the same event (peristiwa), to be merged into this one."""

    other = IntegerField("Nomor peringatan lain tentang peristiwa yang sama", validators=[
        DataRequired(message="Isi nomor peringatan lain."),
        NumberRange(min=1, max=2**31 - 1, message="Nomor peringatan tidak sah.")])
    note = _note()


class SplitForm(Form):
    """A report that is not about this alert's event, to become an event of its own."""

    article = SelectField("Berita yang bukan tentang peristiwa ini", coerce=int,
                          validators=[DataRequired(message="Pilih berita.")])
    note = _note()



class LabelForm(Form):
    """An analyst's label of a story in the queue (LABELING.md's codes and places)."""

    categories = CheckboxesField("Kategori (boleh lebih dari satu, atau tidak ada)")
    kabupaten = CheckboxesField("Kabupaten/kota tempat peristiwa")
    kalteng = BooleanField("Peristiwa terjadi di Kalimantan Tengah")


class TrainForm(Form):
    """Retrain a candidate in the background."""

    max_items = IntegerField("Batas item latih (kosong: semua)", validators=[
        Optional(), NumberRange(min=1, max=1_000_000, message="Batas item harus antara 1 dan 1.000.000.")])


class _RescoreRange:
    dari = DateField("Skor ulang sejak", validators=[_required("tanggal awal skor ulang")])
    sampai = DateField("sampai", validators=[_required("tanggal akhir skor ulang")])


class PromoteForm(Form, _RescoreRange):
    """Promote a candidate and rescore a date range with it."""

    paksa = BooleanField("Paksa promosi walau lebih buruk pada set evaluasi beku")
    alasan = _note("Alasan (wajib bila dipaksa)")


class RollbackForm(Form, _RescoreRange):
    """Go back to the model active before, and rescore a date range with it."""

    alasan = _note("Alasan")

class PlanImportForm(Form):
    """A plan file uploaded from the browser."""

    plan_file = FileField("Berkas rencana (.xlsx, .yaml atau .yml)",
                          validators=[FileRequired(message="Pilih berkas rencana yang akan diimpor.")])


def attach_error(form: Form, error: UserError | ReportError) -> None:
    """Show a service's refusal next to the field it names, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def parse_day(value: str | None, name: str = "tanggal") -> tuple[date, str]:
    """The day of `?tanggal=YYYY-MM-DD` (today in WIB when absent), and an Indonesian message when it is unusable."""
    today = today_wib()
    if not value:
        return today, ""
    try:
        return date.fromisoformat(value.strip()), ""
    except ValueError:
        shown = value.strip()[:40]
        return today, f"Tanggal '{shown}' tidak dapat dibaca ({name} harus berbentuk TTTT-BB-HH); ditampilkan hari ini."


class ReportCreateForm(Form):
    """A new period report: region, year, period."""

    region = SelectField("Wilayah")
    year = StringField("Tahun", validators=[_required("tahun"), Length(max=4)])
    period = SelectField("Periode")


MAX_REPORT_TEXT = 4000


def _report_text(label: str, rows: int = 3) -> TextAreaField:
    return TextAreaField(label, render_kw={"rows": rows}, validators=[Optional(), Length(
        max=MAX_REPORT_TEXT, message=f"Terlalu panjang (maksimal {MAX_REPORT_TEXT} karakter).")])


class ReportCoverForm(Form):
    """A report's opening text and signatory block."""

    summary = _report_text("Pengantar laporan (boleh kosong)", 4)
    signed_place = StringField("Tempat penandatanganan", validators=[Optional(), Length(max=200)])
    signer_title = StringField("Jabatan penandatangan", validators=[Optional(), Length(max=300)])
    signer_name = StringField("Nama penandatangan", validators=[Optional(), Length(max=300)])
    signer_nip = StringField("NIP penandatangan", validators=[Optional(), Length(max=40)])


class ReportActionForm(Form):
    """A report's follow-up and realisation of one plan action in its period."""

    tindak_lanjut = _report_text("Tindak lanjut")
    realisasi = _report_text("Realisasi")
    capaian = StringField("Capaian (%)", validators=[Optional(), Length(max=20)])
    kendala = _report_text("Kendala", 2)
    evidence = _report_text("Data dukung (tautan http/https, satu per baris)", 2)


class ReportAttachForm(Form):
    """Attach an alert to a report by its number."""

    alert = StringField("Nomor peringatan", validators=[_required("nomor peringatan"), Length(max=12)])

"""The web forms (Flask-WTF, so every one carries a CSRF token), with Indonesian messages."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from monitor.service.users import ROLE_NAMES, ROLES, UserError
from monitor.timezones import today_wib

# WTForms' own messages that these forms can show, in Indonesian (WTForms ships no Indonesian catalogue)
_MESSAGES = {
    "This field is required.": "Wajib diisi.",
    "Not a valid choice.": "Pilihan tidak sah.",
    "Invalid Choice: could not coerce.": "Pilihan tidak sah.",
    "Invalid input.": "Isian tidak sah.",
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


class PlanImportForm(Form):
    """A plan file uploaded from the browser."""

    plan_file = FileField("Berkas rencana (.xlsx, .yaml atau .yml)",
                          validators=[FileRequired(message="Pilih berkas rencana yang akan diimpor.")])


def attach_error(form: Form, error: UserError) -> None:
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

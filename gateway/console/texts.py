"""
The console's interface strings: Bahasa Indonesia by default, English as a choice.
"""

from __future__ import annotations

CONSOLE_TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Konsol Layanan Info Kerja LN", "Work Abroad Info Console"),
    "login": ("Masuk", "Log in"),
    "logout": ("Keluar", "Log out"),
    "username": ("Nama pengguna", "Username"),
    "password": ("Kata sandi", "Password"),
    "login_failed": ("Nama atau kata sandi salah.", "Wrong name or password."),
    "login_slowed": (
        "Terlalu banyak percobaan gagal. Tunggu sebentar lalu coba lagi.",
        "Too many failed attempts. Wait a moment and try again.",
    ),
    "home": ("Beranda", "Home"),
    "delivery": ("Log pengiriman SMS", "SMS delivery log"),
    "broadcasts": ("Sosialisasi SMS", "SMS broadcasts"),
    "broadcast_new": ("Sosialisasi baru", "New broadcast"),
    "broadcast_area_help": (
        "Wilayah di dalam wilayah akun Anda: * (seluruh kabupaten), kode kecamatan (36.04.12)"
        " atau kode desa (36.04.12.2002). Hanya pelanggan yang mendaftar (DAFTAR INFO) menerima.",
        "An area inside your account's: * (the whole regency), a kecamatan code (36.04.12) or a"
        " desa code (36.04.12.2002). Only subscribers (DAFTAR INFO) receive it.",
    ),
    "broadcast_text_id": ("Teks bahasa Indonesia", "Indonesian text"),
    "broadcast_text_en": ("Teks bahasa Inggris", "English text"),
    "broadcast_footer_note": (
        "Setiap SMS diakhiri cara berhenti:",
        "Every SMS ends with how to stop:",
    ),
    "broadcast_preview": ("Pratinjau", "Preview"),
    "broadcast_submit": ("Ajukan untuk disetujui", "Submit for approval"),
    "broadcast_approve": ("Setujui dan kirim", "Approve and send"),
    "broadcast_language": ("Bahasa", "Language"),
    "broadcast_alphabet": ("Alfabet", "Alphabet"),
    "broadcast_segments": ("Segmen SMS", "SMS segments"),
    "broadcast_recipients": ("Penerima", "Recipients"),
    "broadcast_cost": ("Perkiraan biaya (Rp)", "Estimated cost (Rp)"),
    "broadcast_price": ("Harga per segmen (Rp)", "Price per segment (Rp)"),
    "broadcast_status": ("Status", "Status"),
    "broadcast_status_pending": (
        "Menunggu persetujuan akun kedua",
        "Waiting for a second account's approval",
    ),
    "broadcast_status_queued": ("Disetujui, dalam antrean kirim", "Approved, queued to send"),
    "broadcast_author": ("Penulis", "Author"),
    "broadcast_approved_by": ("Disetujui oleh", "Approved by"),
    "broadcast_starts": ("Mulai kirim", "Sending starts"),
    "broadcast_quiet": (
        "Tidak ada SMS dikirim antara 21.00 dan 07.00 WIB; sisanya menunggu pagi.",
        "No SMS goes out between 21:00 and 07:00 WIB; the rest waits for the morning.",
    ),
    "broadcast_figures": ("Pengiriman", "Delivery"),
    "broadcast_approved_now": ("Disetujui; pesan masuk antrean.", "Approved; messages queued."),
    "broadcast_none": ("Belum ada sosialisasi.", "No broadcasts yet."),
    "broadcast_bad_area": (
        "Wilayah tidak dikenal atau di luar wilayah akun Anda.",
        "Unknown area, or outside your account's area.",
    ),
    "broadcast_text_missing": ("Isi teks dalam kedua bahasa.", "Write the text in both languages."),
    "broadcast_too_long": (
        "Teks terlalu panjang: lebih dari 3 segmen SMS. Persingkat.",
        "Text too long: more than 3 SMS segments. Shorten it.",
    ),
    "broadcast_empty_area": (
        "Tidak ada pelanggan di wilayah ini: tidak ada yang akan menerima.",
        "No subscribers in this area: nobody would receive it.",
    ),
    "broadcast_self_approval": (
        "Penulis tidak dapat menyetujui sosialisasinya sendiri: perlu akun kedua.",
        "The author cannot approve their own broadcast: a second account must.",
    ),
    "broadcast_already_approved": (
        "Sosialisasi ini sudah disetujui; tidak dikirim dua kali.",
        "This broadcast is approved already; it is not sent twice.",
    ),
    "broadcast_missing": ("Sosialisasi tidak ada.", "No such broadcast."),
    "broadcast_token_taken": ("Formulir sudah dipakai.", "Form already used."),
    "tips": ("Laporan", "Tips"),
    "registry": ("Daftar P3MI", "Agency registry"),
    "officials": ("Petugas", "Officials"),
    "accounts": ("Akun konsol", "Console accounts"),
    "account_add": ("Tambah akun", "Add account"),
    "area": ("Wilayah", "Area"),
    "area_help": (
        "Wilayah: * (seluruh kabupaten), kode kecamatan (36.04.13) atau kode desa (36.04.13.2001)."
        " Akun hanya melihat laporan di wilayahnya.",
        "Area: * (the whole regency), a kecamatan code (36.04.13) or a desa code (36.04.13.2001)."
        " An account sees only the tips of its area.",
    ),
    "set_role": ("Ubah peran", "Change role"),
    "set_area": ("Ubah wilayah", "Change area"),
    "account_disable": ("Nonaktifkan", "Disable"),
    "account_enable": ("Aktifkan", "Enable"),
    "reset_password": ("Atur ulang kata sandi", "Reset password"),
    "password_once": (
        "Kata sandi baru, hanya ditampilkan sekali ini. Sampaikan kepada pemilik akun secara"
        " langsung.",
        "The new password, shown this once only. Pass it to the account's owner in person.",
    ),
    "account_changes": ("Riwayat perubahan akun", "Account changes"),
    # The audit page: who read or changed which case or account
    "audit": ("Log audit", "Audit log"),
    "audit_caption": (
        "Siapa membaca atau mengubah kasus mana, dan siapa mengubah akun mana, terbaru di atas."
        " Isi laporan, catatan dan pertanyaan tidak ditampilkan di sini.",
        "Who read or changed which case, and who changed which account, newest first. The"
        " tips' text, notes and questions are not shown here.",
    ),
    "audit_actor": ("Akun / petugas", "Account / official"),
    "audit_account": ("akun", "account"),
    "audit_kind": ("Jenis", "Kind"),
    "audit_older": ("Lebih lama", "Older"),
    "audit_kind_read": ("Dibaca", "Read"),
    "audit_kind_move": ("Status diubah", "Status changed"),
    "audit_kind_handover": ("Diteruskan", "Handed over"),
    "audit_kind_assign": ("Ditugaskan", "Assigned"),
    "audit_kind_note": ("Catatan internal", "Internal note"),
    "audit_kind_message": ("Pesan ke pelapor", "Message on the thread"),
    "audit_kind_review": ("Pesan ditinjau", "Message reviewed"),
    "audit_kind_involved": ("Petugas terlibat", "Official named as involved"),
    "audit_kind_account": ("Akun diubah", "Account changed"),
    "changed_by": ("Diubah oleh", "Changed by"),
    "change": ("Perubahan", "Change"),
    "account_exists": ("Nama pengguna itu sudah ada.", "That username exists already."),
    "account_bad_area": ("Wilayah tidak dikenal.", "Unknown area."),
    "account_refused": ("Perubahan ditolak.", "Change refused."),
    "account_done_add": ("Akun ditambahkan.", "Account added."),
    "account_done_disable": ("Akun dinonaktifkan.", "Account disabled."),
    "account_done_enable": ("Akun diaktifkan.", "Account enabled."),
    "account_done_reset_password": ("Kata sandi diatur ulang.", "Password reset."),
    "account_done_set_role": ("Peran diubah.", "Role changed."),
    "account_done_set_area": ("Wilayah diubah.", "Area changed."),
    "charts": ("Grafik", "Charts"),
    "migrants": ("Calon pekerja migran", "Prospective migrant workers"),
    "migrants_help": (
        "Dicatat aparat desa dengan persetujuan warga (balasan YA dari nomornya). Hanya desa,"
        " kecamatan dan Disnakertrans yang melihat; setiap tampilan dicatat di audit. Warga dapat"
        " melihat (DATAKU) dan menghapus (HAPUS DATAKU) datanya lewat SMS.",
        "Recorded by desa officials with the resident's consent (a YES from their number). Only"
        " the desa, kecamatan and Disnakertrans see them; every view is written to the audit."
        " Residents see (MYDATA) and delete (DELETE MYDATA) their data by SMS.",
    ),
    "migrants_figures": ("Jumlah per desa (tanpa nama)", "Counts per desa (no names)"),
    "migrants_records": ("Data", "Records"),
    "migrants_audit": ("Audit data", "Records' audit"),
    "migrants_desa": ("Desa", "Desa"),
    "migrants_planned": ("Rencana", "Planned"),
    "migrants_departed": ("Berangkat", "Departed"),
    "migrants_returned": ("Pulang", "Returned"),
    "migrants_destinations": ("Tujuan", "Destinations"),
    "migrants_name": ("Nama", "Name"),
    "migrants_destination": ("Negara tujuan", "Destination"),
    "migrants_job": ("Pekerjaan", "Job"),
    "migrants_agency": ("P3MI", "Agency"),
    "migrants_month": ("Bulan berangkat", "Departure month"),
    "migrants_when": ("Waktu", "When"),
    "migrants_record": ("Data no.", "Record no."),
    "migrants_who": ("Oleh", "By"),
    "migrants_action": ("Tindakan", "Action"),
    "migrants_travel": ("Berangkat / pulang", "Departure / return"),
    "migrants_save": ("Simpan", "Save"),
    "migrants_saved": ("Tanggal disimpan.", "Day saved."),
    "migrants_invalid": (
        "Tanggal tidak sah (pilih berangkat atau pulang, tanggal tidak di masa depan).",
        "Not a valid day (pick departure or return, a day not in the future).",
    ),
    "rekap": ("Rekap mingguan", "Weekly digest"),
    "rekap_help": (
        "Angka yang sama dengan SMS REKAP petugas. Terbuka dan lewat tenggat: keadaan sekarang.",
        "The same figures as the officials' REKAP SMS. Open and overdue: as they are now.",
    ),
    "rekap_week": ("Minggu", "Week"),
    "rekap_new": ("Laporan baru", "New cases"),
    "rekap_open": ("Masih terbuka", "Open"),
    "rekap_overdue": ("Lewat tenggat", "Overdue"),
    "rekap_closed": ("Ditutup", "Closed"),
    "rekap_selesai_ditindak": ("ditindak", "action taken"),
    "rekap_tidak_terbukti": ("tidak terbukti", "not substantiated"),
    "rekap_bukan_wewenang": ("bukan wewenang", "not our remit"),
    "rekap_migrants": (
        "Calon pekerja migran tercatat (dengan persetujuan, jumlah saja)",
        "Prospective migrant workers recorded (with consent, counts only)",
    ),
    "rekap_migrants_planned": ("Berencana berangkat", "Planning to leave"),
    "rekap_migrants_departed": ("Sudah berangkat", "Departed"),
    "rekap_migrants_returned": ("Sudah pulang", "Returned"),
    "rekap_named": (
        "P3MI tak berizin yang disebut dalam laporan wilayah ini",
        "Unlicensed agencies named in this area's reports",
    ),
    "rekap_checked": (
        "Nama yang dicek warga tetapi tidak terdaftar (seluruh kabupaten: pemeriksaan tidak"
        " menyimpan tempat)",
        "Names residents checked that are not registered (regency-wide: checks keep no place)",
    ),
    "simulator": ("Simulator HP", "Phone simulator"),
    "forbidden": ("Anda tidak berhak membuka halaman ini.", "You may not open this page."),
    "csrf": ("Formulir kedaluwarsa. Muat ulang halaman.", "The form expired. Reload the page."),
    "login_busy": (
        "Server sedang sibuk memeriksa login lain. Coba lagi sebentar lagi.",
        "The server is busy checking other logins. Try again in a moment.",
    ),
    "cross_site": (
        "Permintaan dari situs lain ditolak. Buka konsol langsung di alamatnya lalu coba lagi.",
        "A request from another site was refused. Open the console at its own address and"
        " try again.",
    ),
    "language": ("Bahasa", "Language"),
    "role": ("Peran", "Role"),
    # Shared by the lists and their filters
    "any": ("Semua", "All"),
    "filter": ("Saring", "Filter"),
    "from": ("Dari tanggal", "From"),
    "to": ("Sampai tanggal", "To"),
    "status": ("Status", "Status"),
    # Case actions (a status's words: gateway/console/vocabulary.py, from the residents' catalogue)
    "case_actions": ("Tindakan kasus", "Case actions"),
    "case_set_status": ("Ubah status", "Change status"),
    "case_note": ("Catatan internal", "Internal note"),
    "case_internal_note": ("Catatan internal", "Internal note"),
    "case_add_note": ("Tambah catatan", "Add note"),
    "case_note_help": (
        "Catatan internal hanya dibaca petugas dan akun konsol, tidak pernah ditampilkan kepada"
        " pelapor.",
        "Internal notes are read by officials and console accounts only, never shown to the"
        " reporter.",
    ),
    "case_ask": ("Tanya pelapor", "Ask the reporter"),
    "case_ask_send": ("Kirim pertanyaan", "Send the question"),
    "case_ask_help": (
        "Pelapor membaca pertanyaan lewat kode laporannya (STATUS / menu 3). Pertanyaan yang"
        " menanyakan identitas pelapor ditahan untuk ditinjau.",
        "The reporter reads the question through the receipt (STATUS / menu 3). A question asking"
        " who the reporter is, is held for review.",
    ),
    "case_forward": ("Teruskan ke instansi", "Hand over to an agency"),
    "case_forward_send": ("Teruskan", "Hand over"),
    "case_close": ("Tutup dengan hasil", "Close with outcome"),
    "case_reopen": ("Buka kembali", "Reopen"),
    "case_history": ("Riwayat kasus", "Case history"),
    "case_by": ("Oleh", "By"),
    "case_by_account": ("Akun konsol", "Console account"),
    "case_by_system": ("Sistem", "System"),
    "case_holder": ("Pemegang", "Holder"),
    "case_noted": ("Catatan", "Note"),
    "case_reopened": ("dibuka kembali", "reopened"),
    "case_refused": (
        "Ditolak: perpindahan status ini tidak diizinkan, tidak ada yang berubah",
        "Refused: this status change is not allowed, nothing changed",
    ),
    "case_agency_unknown": ("Kode instansi tidak dikenal", "Unknown agency code"),
    "case_agency_none": (
        "Instansi ini tidak punya petugas untuk wilayah kasus ini",
        "This agency has no officials for this case's area",
    ),
    "case_done_moved": ("Status kasus diubah.", "The case's status changed."),
    "case_done_noted": ("Catatan ditambahkan.", "The note was added."),
    "case_done_asked": ("Pertanyaan dikirim ke pelapor.", "The question went to the reporter."),
    "case_done_asked_held": (
        "Pertanyaan menanyakan identitas pelapor: ditahan untuk ditinjau.",
        "The question asks who the reporter is: held for review.",
    ),
    "case_done_forwarded": ("Kasus diteruskan", "The case was handed over"),
    "case_done_assigned": ("Kasus ditugaskan.", "The case was assigned."),
    "assign": ("Tugaskan", "Assign"),
    "assigned_to": ("Ditugaskan kepada", "Assigned to"),
    "due_on": ("Tenggat", "Due"),
    "my_cases": ("Kasus saya", "My cases"),
    "overdue": ("Lewat tenggat", "Overdue"),
    "case_done_empty": ("Isi dulu teksnya.", "Fill in the text first."),
    "case_done_invalid": ("Pilihan tidak sah.", "Not a valid choice."),
    "no_rows": ("Tidak ada data.", "Nothing found."),
    "next_page": ("Halaman berikutnya", "Next page"),
    "bad_cursor": (
        "Tautan halaman tidak dikenali; halaman pertama ditampilkan.",
        "The page link was not understood; the first page is shown.",
    ),
    "holder": ("Pemegang kasus", "Case holder"),
    "search_text": ("Cari di isi laporan", "Search tip text"),
    "yes": ("ya", "yes"),
    "no": ("tidak", "no"),
    "not_found": ("Tidak ditemukan.", "Not found."),
    # Delivery log
    "recipient": ("Penerima", "Recipient"),
    "resident": ("warga", "resident"),
    "official": ("Petugas", "Official"),
    "cause": ("Sebab", "Cause"),
    "attempts": ("Percobaan", "Attempts"),
    "last_error": ("Galat terakhir", "Last error"),
    "created": ("Dibuat", "Created"),
    "updated": ("Diperbarui", "Updated"),
    "stuck": ("Tertahan di 'sent' lebih dari 1 jam", "Stuck in 'sent' for over an hour"),
    "budget_exhausted": (
        "Batas SMS keluar per jam habis: pesan menunggu di antrean sampai jam berikutnya",
        "This hour's outbound SMS budget is used up: messages wait in the queue for the next hour",
    ),
    "alerts_held": (
        "Banjir laporan: peringatan ke petugas ditahan sampai dilepas admin",
        "Tip flood: alerts to officials are held until an admin releases them",
    ),
    "release_held": ("Kirim peringatan yang ditahan", "Send the held alerts"),
    "alerts_released": ("Peringatan dilepas", "Alerts released"),
    "dead_only": ("Hanya surat mati (dead letter)", "Dead letters only"),
    "export_csv": ("Unduh CSV (sesuai saringan)", "Download CSV (as filtered)"),
    "message": ("Pesan SMS", "SMS message"),
    "timeline": ("Riwayat pesan", "Message timeline"),
    "time": ("Waktu", "Time"),
    "event": ("Peristiwa", "Event"),
    "detail": ("Keterangan", "Detail"),
    "body": ("Isi SMS", "Message text"),
    "about_tip": ("Peringatan tentang sebuah laporan", "Alert about a tip"),
    "body_resident": (
        "Isi SMS untuk warga tidak ditampilkan: bisa memuat kode tanda terima.",
        "Texts to residents are not shown: they may hold a receipt code.",
    ),
    "body_tip_roles": (
        "Isi peringatan memuat isi laporan; hanya penyelidik dan admin yang dapat melihatnya.",
        "An alert's text holds a tip's content; only investigators and admins may see it.",
    ),
    "body_audited": (
        "Melihat isi peringatan ini dicatat dalam log audit laporan.",
        "Viewing this alert's text is recorded in the tip's audit log.",
    ),
    "failure_reason": ("Sebab gagal", "Why it failed"),
    "official_record": ("Buka data petugas", "Open the official's record"),
    "no_retry_permanent": (
        "Tidak dikirim ulang: pesan yang sama ke nomor yang sama tidak akan sampai.",
        "Not offered again: the same message to the same number cannot arrive.",
    ),
    "retry": ("Kirim ulang", "Retry"),
    "requeued": ("Pesan masuk antrean lagi.", "The message is queued again."),
    "not_retryable": (
        "Pesan ini bukan surat mati atau pesan gagal; tidak dikirim ulang.",
        "This message is not a dead letter or failed message; it was not sent again.",
    ),
    # Tips
    "receipt": ("Kode laporan", "Receipt"),
    "date": ("Tanggal", "Date"),
    "category": ("Kategori", "Category"),
    "kecamatan": ("Kecamatan", "Kecamatan"),
    "channel": ("Saluran", "Channel"),
    "tip": ("Laporan", "Tip"),
    "desa": ("Desa", "Village"),
    "reported_agency": ("P3MI / pihak yang dilaporkan", "Agency or person reported"),
    "description": ("Cerita pelapor", "The reporter's account"),
    "purged": (
        "Isi sudah dihapus karena masa simpan habis.",
        "The content was removed: its retention period is over.",
    ),
    "audit_note": (
        "Pembukaan halaman ini tercatat dalam log audit atas nama Anda.",
        "Opening this page is recorded in the audit log under your name.",
    ),
    "thread": ("Percakapan anonim", "Anonymous thread"),
    "author": ("Penulis", "Author"),
    "text": ("Isi", "Text"),
    "author_official": ("Petugas", "Official"),
    "author_reporter": ("Pelapor", "Reporter"),
    "kind_question": ("pertanyaan", "question"),
    "kind_answer": ("jawaban", "answer"),
    "kind_note": ("catatan", "note"),
    # Officials' messages asking who the reporter is, held for review
    "review_held": (
        "DITAHAN: pelapor belum melihatnya. Menanyakan identitas",
        "HELD: the reporter has not seen it. Asks for identity",
    ),
    "review_released": ("Diteruskan ke pelapor oleh", "Released to the reporter by"),
    "review_rejected": ("Ditolak (tidak pernah dilihat pelapor) oleh", "Rejected (never shown) by"),
    "release": ("Teruskan ke pelapor", "Release to the reporter"),
    "held_count": ("pesan ditahan", "held messages"),
    "reject": ("Tolak", "Reject"),
    "released": ("Pesan diteruskan ke pelapor.", "The message was released to the reporter."),
    "rejected": (
        "Pesan ditolak; pelapor tidak akan melihatnya.",
        "Rejected: the reporter will never see it.",
    ),
    "not_held": ("Pesan itu tidak sedang ditahan.", "That message is not held."),
    "alerts": ("Peringatan ke petugas", "Alerts to officials"),
    "tier": ("Tingkat", "Tier"),
    "reason": ("Alasan", "Reason"),
    "sms_status": ("Status SMS", "SMS status"),
    "acknowledged": ("Ditanggapi", "Acknowledged"),
    "escalated": ("Dieskalasi", "Escalated"),
    # An official's own report (issue 15): attributed, not anonymous
    "official_report": ("Laporan aparat", "Official's report"),
    "official_report_by": (
        "dilaporkan sendiri oleh petugas, tidak anonim:",
        "reported by an official as themselves, not anonymous:",
    ),
    # Conflict of interest
    "conflict": ("Konflik kepentingan", "Conflict of interest"),
    "village_official_marked": (
        "Pelapor menyatakan aparat desa terlibat: laporan ini tidak pernah dikirim ke aparat desa.",
        "The reporter says a village official is involved: never alerted to village officials.",
    ),
    "involved_note": (
        "Petugas yang ditandai terlibat tidak lagi menerima peringatan, eskalasi atau INFO"
        " untuk laporan ini.",
        "An official named as involved gets no more alerts, escalations or INFO for this tip.",
    ),
    "involved": ("Terlibat", "Involved"),
    "alerted": ("Sudah diberi peringatan", "Alerted"),
    "mark_involved": ("Tandai terlibat", "Name as involved"),
    "involved_by": ("ditandai oleh", "named by"),
    "involved_set": ("Petugas ditandai terlibat.", "The official is named as involved."),
    "involved_not_set": (
        "Tidak diubah: petugas itu sudah ditandai atau bukan petugas laporan ini.",
        "Not changed: already named, or not one of this tip's officials.",
    ),
    # Registry and officials
    "name": ("Nama", "Name"),
    "licence": ("Nomor izin", "Licence number"),
    "valid_until": ("Berlaku sampai", "Valid until"),
    "head_office": ("Kantor pusat", "Head office"),
    "serang_branch": ("Cabang Kab. Serang", "Branch in Kab. Serang"),
    "sample": ("contoh", "sample"),
    "phone": ("Nomor HP", "Phone"),
    "office": ("Kantor", "Office"),
    "kecamatan_codes": ("Kecamatan (kode)", "Kecamatan (codes)"),
    "categories": ("Kategori", "Categories"),
    "active": ("Aktif", "Active"),
    "job_orders": ("Job order", "Job orders"),
    "country": ("Negara", "Country"),
    "job": ("Pekerjaan", "Job"),
    "quota": ("Kuota", "Quota"),
    "source": ("Sumber", "Source"),
    "data_date": ("Data per", "Data as of"),
    "job_orders_help": (
        "Kolom: licence_number, country, job, quota (boleh kosong), valid_until, source,"
        " data_date. Negara dan pekerjaan boleh ditulis dengan nama Indonesia atau Inggris.",
        "Columns: licence_number, country, job, quota (may be blank), valid_until, source,"
        " data_date. Countries and jobs may be written in Indonesian or English.",
    ),
    "checks": ("Cek sebelum TTD", "Checks before signing"),
    "checks_help": (
        "Cek izin yang diminta petugas desa (CEKIZIN) per kecamatan dan desa, 90 hari terakhir.",
        "Checks village officials asked for (CEKIZIN) per kecamatan and desa, last 90 days.",
    ),
    "checks_list": ("Daftar cek terbaru", "Latest checks"),
    "check_sign": ("Boleh TTD", "May sign"),
    "check_stop": ("Stop", "Stop"),
    "checked_at": ("Waktu", "When"),
    "agency_asked": ("PT yang ditanya", "Agency asked"),
    "result": ("Hasil", "Result"),
    "reasons": ("Alasan", "Reasons"),
    "reported_as": ("Dilaporkan", "Reported"),
    "stale_data": ("Data sudah lama", "Old data"),
    "stale_registry": ("Daftar P3MI", "Agency registry"),
    "stale_job_orders": ("Job order", "Job orders"),
    "stale_bans": (
        "Larangan negara tujuan (bans.toml, diperiksa)",
        "Destination bans (bans.toml, checked)",
    ),
    "stale_never": ("belum pernah diimpor", "never imported"),
    "stale_older": ("lebih lama dari {days} hari: data per", "older than {days} days: data as of"),
    "upload_csv": ("Unggah CSV", "Upload CSV"),
    "upload_help": (
        "Berkas diperiksa dulu; perubahan baru berlaku setelah Anda menekan Terapkan.",
        "The file is checked first; nothing changes until you press Apply.",
    ),
    "upload": ("Unggah", "Upload"),
    "preview": ("Pratinjau unggahan", "Upload preview"),
    "file": ("Berkas", "File"),
    "uploaded_by": ("Diunggah oleh", "Uploaded by"),
    "problems": (
        "Berkas bermasalah, tidak ada yang diubah. Perbaiki berkas lalu unggah lagi.",
        "The file has problems; nothing was changed. Fix the file and upload it again.",
    ),
    "formula_warnings": (
        "Peringatan: sel berikut diawali = + - atau @ dan akan dijalankan spreadsheet sebagai"
        " rumus. Periksa asal berkas; nilainya disimpan sebagai teks dan diekspor dengan tanda"
        " kutip di depannya.",
        "Warning: these cells start with = + - or @ and a spreadsheet would run them as"
        " formulas. Check where the file came from; the values are kept as text and exported"
        " with a leading quote.",
    ),
    "line": ("Baris", "Line"),
    "field": ("Kolom", "Field"),
    "problem": ("Masalah", "Problem"),
    "rows": ("Baris data", "Rows"),
    "added": ("Ditambah", "Added"),
    "changed": ("Berubah", "Changed"),
    "removed": ("Dihapus", "Removed"),
    "deactivated": ("Dinonaktifkan", "Deactivated"),
    "no_changes": ("Tidak ada perubahan.", "No changes."),
    "apply": ("Terapkan", "Apply"),
    "cancel": ("Batal", "Cancel"),
    "applied": ("Perubahan sudah diterapkan.", "The changes were applied."),
    "cancelled": (
        "Unggahan dibatalkan; tidak ada yang diubah.",
        "Upload cancelled; nothing changed.",
    ),
    "upload_done": (
        "Unggahan ini sudah diterapkan atau dibatalkan.",
        "This upload was applied or cancelled already.",
    ),
    "no_file": ("Pilih berkas CSV.", "Choose a CSV file."),
    "not_utf8": (
        "Berkas bukan teks UTF-8. Simpan sebagai 'CSV UTF-8' lalu unggah lagi.",
        "The file is not UTF-8 text. Save it as 'CSV UTF-8' and upload it again.",
    ),
    # Charts
    "chart_kecamatan": ("Laporan per kecamatan", "Tips per kecamatan"),
    "chart_desa": ("Laporan per desa", "Tips per desa"),
    "desa_caption": (
        "Laporan dengan kode desa (dipilih di USSD atau ditemukan di SMS)",
        "Tips with a desa code (chosen on USSD or found in the SMS)",
    ),
    "chart_cases": ("Kasus per status", "Cases by status"),
    "cases_caption": (
        "Jumlah saja, di wilayah akun Anda; isi laporan hanya untuk penyidik",
        "Counts only, within your account's area; a tip's content is for investigators",
    ),
    "chart_delivery": (
        "Pengiriman SMS per hari (30 hari terakhir)",
        "SMS delivery per day (last 30 days)",
    ),
    "delivered": ("Sampai", "Delivered"),
    "failed": ("Gagal / mati", "Failed / dead"),
    "pending": ("Belum selesai", "Pending"),
    "chart_funnel": ("Langkah terakhir sesi USSD", "Where USSD sessions ended"),
    "funnel_caption": (
        "Jumlah sesi yang berakhir di tiap langkah menu, urut sepanjang alur"
        " (periksa P3MI, lapor, cek status).",
        "How many sessions ended at each menu step, in the order of the journeys"
        " (check an agency, report, check a status).",
    ),
    "chart_not_found": (
        "Nama yang paling sering dicari tetapi tidak ada di daftar (15 teratas)",
        "Most-checked names not in the registry (top 15)",
    ),
    "not_found_caption": (
        "Warga tidak menyebut kecamatan saat memeriksa P3MI, jadi pemeriksaan tidak bisa dipecah"
        " per kecamatan.",
        "Residents do not give their kecamatan when they check an agency, so checks cannot be"
        " shown by kecamatan.",
    ),
    "no_data": ("Belum ada data.", "No data yet."),
    # The coordination export (monthly meeting)
    "coordination": ("Rekap koordinasi", "Coordination summary"),
    "coord_period": ("Periode", "Period"),
    "coord_caption": (
        "Baru: dilaporkan dalam periode. Selesai: ditutup dalam periode, menurut hasil terakhir."
        " Masih terbuka dan lewat tenggat: pada akhir periode. Diteruskan: serah terima oleh"
        " petugas atau akun dalam periode. Pemegang: pemegang kasus saat ini.",
        "New: filed in the period. Closed: closed in the period, by the last outcome. Still open"
        " and overdue: at the end of the period. Handovers: handed over by an official or an"
        " account in the period. Holder: who holds the case now.",
    ),
    "coord_by_kecamatan": ("Per kecamatan dan pemegang", "Per kecamatan and holder"),
    "coord_by_category": ("Per kategori", "Per category"),
    "coord_new": ("Baru", "New"),
    "coord_selesai_ditindak": ("Selesai, ditindak", "Closed, action taken"),
    "coord_tidak_terbukti": ("Tidak terbukti", "Not substantiated"),
    "coord_bukan_wewenang": ("Bukan wewenang", "Outside our agencies"),
    "coord_still_open": ("Masih terbuka", "Still open"),
    "coord_overdue": ("Lewat tenggat", "Overdue"),
    "coord_handovers": ("Diteruskan", "Handovers"),
    "coord_chart_new": ("Laporan baru per kecamatan", "New cases per kecamatan"),
    "coord_chart_outcomes": ("Kasus selesai menurut hasil", "Closed cases by outcome"),
    "coord_chart_categories": ("Laporan baru per kategori", "New cases per category"),
    "coord_cases": ("Daftar kasus periode ini", "The period's cases"),
    "coord_with_text": (
        "Dengan isi laporan (dicatat di log audit)",
        "With the tips' text (recorded in the audit log)",
    ),
    "coord_text_audited": (
        "Isi setiap laporan di daftar ini dicatat sebagai dibaca atas nama Anda.",
        "Each listed tip's text is recorded as read under your name.",
    ),
    "coord_counts_only": (
        "Daftar kasus hanya untuk penyelidik dan admin; di sini hanya angka.",
        "The case list is for investigators and admins; this page shows counts only.",
    ),
    "coord_first_only": ("Hanya baris terawal yang ditampilkan:", "Only the first rows are shown:"),
    "coord_csv_summary": ("Unduh CSV ringkasan", "Download the summary as CSV"),
    "coord_csv_categories": ("CSV per kategori", "CSV per category"),
    "coord_csv_cases": ("CSV daftar kasus", "CSV of the cases"),
    "total": ("Jumlah", "Total"),
    "no_kecamatan": ("(tanpa kecamatan)", "(no kecamatan)"),
}


def ct(key: str, lang: str) -> str:
    """A console string."""
    text = CONSOLE_TEXTS.get(key)
    if text is None:
        return key
    return text[0] if lang == "id" else text[1]

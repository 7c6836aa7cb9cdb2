/* smart.c - storage.smart: drive health from the drive itself, NVMe's
 * SMART / Health log or ATA SMART (core/smart), "unsupported" for what
 * has neither (virtio, md, dm). health.c reads the same answers. */
#include "smart.h"
#include "storage.h"
#include "sysfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool is_virtual(const char *transport)
{
	static const char *const v[] = { "virtio", "md", "dm", "loop", "unknown", "mmc" };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (!strcmp(transport, v[i]))
			return true;
	return false;
}

int vmo_smart_read(const struct blkdev *b, struct vmo_smart *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->device, sizeof(s->device), "%s", b->name);
	uint8_t buf[SMART_LOG_SIZE];
	struct bb_error e = { 0 };
	if (!strcmp(b->transport, "nvme")) {
		s->kind = VMO_SMART_NVME;
		if (smart_nvme_read(b->path, buf, &e) || smart_nvme_parse(buf, sizeof(buf), &s->nvme, &e))
			goto fail;
		s->ok = true;
		s->warning = s->nvme.critical_warning != 0;
		return 0;
	}
	if (is_virtual(b->transport)) {
		s->kind = VMO_SMART_NONE;
		snprintf(s->why, sizeof(s->why), "%s devices have no SMART", b->transport);
		return 0;
	}
	s->kind = VMO_SMART_ATA;
	if (smart_ata_read(b->path, buf, &s->ata_status, &e) ||
	    smart_ata_attrs_parse(buf, sizeof(buf), s->attrs, &s->nattrs, &e))
		goto fail;
	s->ok = true;
	s->warning = s->ata_status == 1;
	return 0;
fail:
	snprintf(s->why, sizeof(s->why), "%s", e.msg);
	return -1;
}

static void nvme_write(struct jw *w, const struct smart_nvme *n)
{
	char words[128];
	jw_key(w, "nvme");
	jw_obj(w);
	jw_ku64(w, "critical_warning", n->critical_warning);
	jw_kstr(w, "warnings", smart_nvme_warning_words(n->critical_warning, words, sizeof(words)));
	jw_key(w, "temperature_celsius");
	if (n->temperature_k)
		jw_i64(w, (int64_t)n->temperature_k - 273);
	else
		jw_null(w);
	jw_ku64(w, "available_spare_percent", n->available_spare);
	jw_ku64(w, "spare_threshold_percent", n->spare_threshold);
	jw_ku64(w, "percent_used", n->percent_used);
	jw_ku64(w, "data_units_read", n->data_units_read);
	jw_ku64(w, "data_units_written", n->data_units_written);
	jw_ku64(w, "host_read_commands", n->host_reads);
	jw_ku64(w, "host_write_commands", n->host_writes);
	jw_ku64(w, "power_cycles", n->power_cycles);
	jw_ku64(w, "power_on_hours", n->power_on_hours);
	jw_ku64(w, "unsafe_shutdowns", n->unsafe_shutdowns);
	jw_ku64(w, "media_errors", n->media_errors);
	jw_ku64(w, "error_log_entries", n->error_log_entries);
	jw_obj_end(w);
}

static void ata_write(struct jw *w, const struct vmo_smart *s)
{
	jw_key(w, "ata");
	jw_obj(w);
	jw_kstr(w, "status", s->ata_status == 0 ? "passed" : s->ata_status == 1 ? "threshold_exceeded"
										  : "unknown");
	jw_key(w, "attributes");
	jw_arr(w);
	for (size_t i = 0; i < s->nattrs; i++) {
		const struct smart_ata_attr *a = &s->attrs[i];
		jw_obj(w);
		jw_ku64(w, "id", a->id);
		jw_kstr(w, "name", smart_ata_attr_name(a->id));
		jw_ku64(w, "value", a->value);
		jw_ku64(w, "worst", a->worst);
		jw_ku64(w, "raw", a->raw);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static const char *const kinds[] = { "unsupported", "nvme", "ata" };

static void smart_write(struct jw *w, const struct vmo_smart *s)
{
	jw_obj(w);
	jw_kstr(w, "device", s->device);
	jw_kstr(w, "kind", kinds[s->kind]);
	jw_kbool(w, "supported", s->kind != VMO_SMART_NONE);
	jw_kbool(w, "read", s->ok);
	jw_kbool(w, "warning", s->warning);
	jw_kstr(w, "reason", s->why[0] ? s->why : NULL);
	if (s->ok && s->kind == VMO_SMART_NVME)
		nvme_write(w, &s->nvme);
	if (s->ok && s->kind == VMO_SMART_ATA)
		ata_write(w, s);
	jw_obj_end(w);
}

static int smart(struct vm_call *c)
{
	const char *only = vm_str(c, "device");
	const struct blkdev_list *l = vm_view(c);
	if (!l)
		return -1;
	const struct blkdev *one = only ? blkdev_find(l, only) : NULL;
	if (only && (!one || one->partno)) {
		return vm_fail_errno(c, VM_E_NODEV, ENODEV, only, "%s: no such disk", only);
	}
	if (one) {
		struct vmo_smart s;
		vmo_smart_read(one, &s);
		smart_write(c->out, &s);
	} else {
		jw_arr(c->out);
		for (size_t i = 0; i < l->n; i++) {
			if (l->dev[i].partno || !l->dev[i].size || !strcmp(l->dev[i].transport, "loop"))
				continue;
			struct vmo_smart s;
			vmo_smart_read(&l->dev[i], &s);
			smart_write(c->out, &s);
		}
		jw_arr_end(c->out);
	}
	return 0;
}

static const struct vm_param smart_params[] = {
	{ "device", VM_T_STR, VM_POS, "one disk: /dev/nvme0n1 (default: every disk)", "DEVICE" },
	{ 0 },
};

static const struct vm_field smart_fields[] = {
	{ "device", VM_T_STR, "disk", 0 },
	{ "kind", VM_T_STR, "nvme, ata or unsupported", 0 },
	{ "supported", VM_T_BOOL, "the device has SMART", VM_F_HIDE },
	{ "read", VM_T_BOOL, "the log was read", 0 },
	{ "warning", VM_T_BOOL, "NVMe critical warning set, or an ATA threshold exceeded", 0 },
	{ "reason", VM_T_STR, "why there is nothing to show", VM_F_NULLABLE },
	{ "nvme", VM_T_OBJ, "the SMART / Health log", VM_F_HIDE },
	{ "ata", VM_T_OBJ, "status and attributes", VM_F_HIDE },
	{ 0 },
};

static const struct vm_method smart_methods[] = {
	{ .name = "storage.smart", .cli = "smart",
	  .help = "Drive health: NVMe SMART log, ATA SMART; unsupported for virtio",
	  .params = smart_params, .result = { VM_R_ANY, smart_fields }, .fn = smart },
	{ 0 },
};

const struct vm_module vm_mod_smart = { "smart", smart_methods, NULL, NULL };

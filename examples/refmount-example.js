#!/usr/bin/gjs
// SPDX-License-Identifier: GPL-2.0-or-later
//
// Mount, list, watch and unmount through librefmount-1 (Refmount-1.0),
// as refmount-example.py does.
// Usage: gjs refmount-example.js FSTYPE SOURCE MOUNTPOINT [OPTION...]
// (an empty MOUNTPOINT lets refmountd derive one).
imports.gi.versions.Refmount = '1.0';
const {GLib, Refmount} = imports.gi;

const [fstype, source, mountpoint, ...options] = ARGV;
const loop = new GLib.MainLoop(null, false);
const client = Refmount.Client.new_sync(null);
const stateName = state =>
    Object.keys(Refmount.MountState).find(k => Refmount.MountState[k] === state).toLowerCase();

client.connect('attachment-added', (c, mount, attachment) => {
    if (attachment.get_id() !== 'example')
        return;
    print('attached', mount.get_mountpoint(), attachment.get_id());
    for (const m of c.get_mounts()) {
        const ids = m.get_attachments().map(a => a.get_id()).join(' ');
        print('mount', m.get_mountpoint(), m.get_filesystem_type(), stateName(m.get_state()), ids);
    }
    c.unmount_sync(mount.get_mountpoint(), 'example', Refmount.MountFlags.NONE, null);
});
client.connect('mount-removed', (c, mount) => {
    print('removed', mount.get_mountpoint());
    loop.quit();
});
try {
    const used = client.mount_sync(fstype, source, mountpoint || null, options, 'example',
        Refmount.MountFlags.RELEASE_ON_EXIT, null);
    print('mounted', used);
} catch (e) {
    if (e.matches(Refmount.error_quark(), Refmount.Error.NOT_AUTHORIZED))
        printerr(`not authorized: ${e.message}`);
    else
        printerr(`mount failed: ${e.message}`);
    imports.system.exit(1);
}
loop.run();

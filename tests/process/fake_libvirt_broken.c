/* A libvirt.so.0 with none of libvirt's entry points, found first through
 * LD_LIBRARY_PATH: a CLI that linked libvirt would not even start with it,
 * and one that loads libvirt at run time must say it cannot use it. */
int mdevmc_fake_libvirt_broken;

/** statfs f_type magic numbers (linux/magic.h) of filesystems a data disk may carry. */
const MAGIC: Record<number, string> = {
  0xef53: 'ext4',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x2fc12fc1: 'zfs',
  0xf2f52010: 'f2fs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlay',
  0x4d44: 'vfat',
  0x2011bab0: 'exfat',
  0x5346544e: 'ntfs',
  0x65735546: 'fuse',
  0x6969: 'nfs',
  0xff534d42: 'cifs',
  0xfe534d42: 'smb2',
};

export function filesystemName(type: number): string {
  return MAGIC[type] ?? `0x${type.toString(16)}`;
}

/** Why a filesystem is a poor home for the ring buffer, or null when it is fine. */
export function filesystemConcern(fs: string): string | null {
  switch (fs) {
    case 'ext4':
    case 'xfs':
    case 'btrfs':
    case 'zfs':
    case 'f2fs':
      return null;
    case 'tmpfs':
      return 'tmpfs lives in memory: every recording is lost at the next reboot; put data_dir on a disk';
    case 'overlay':
      return 'overlay is a container layer, not a disk: mount a volume for data_dir';
    case 'vfat':
    case 'exfat':
    case 'ntfs':
    case 'fuse':
      return 'this filesystem loses recently written files on power cuts and lacks proper fsync; format the disk as ext4';
    case 'nfs':
    case 'cifs':
    case 'smb2':
      return 'a network share stalls recording when the network does; record to a local disk';
    default:
      return 'unknown filesystem: ext4 or xfs are what cunbox is tested on';
  }
}

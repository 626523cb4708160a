/* SPDX-License-Identifier: Apache-2.0 */
/** Exit codes Ferry ends QEMU with under semihosting; tests read them. */
#ifndef LIB_EXIT_CODE_H
#define LIB_EXIT_CODE_H

enum ferry_exit_code {
	FERRY_EXIT_OK = 0,
	FERRY_EXIT_TEST_FAILED = 1, /**< a self-test or guest verdict failed */
	FERRY_EXIT_BAD_BOARD = 2,   /**< the board is not what Ferry was built for */
	FERRY_EXIT_PANIC = 3,	    /**< an exception Ferry could not handle */
	FERRY_EXIT_BAD_VM = 4,	    /**< the VM's configuration or image was refused */
	FERRY_EXIT_VM_STOPPED = 5,  /**< the VM stopped abnormally (reset, crash) */
	FERRY_EXIT_VM_LOST = 6,	    /**< postcopy could not finish: the VM is lost */
	FERRY_EXIT_VM_FENCED = 7, /**< protection: the lease ended, the VM stopped here for good */
};

/*
 * Without semihosting QEMU exits with 0 whatever Ferry's verdict: Ferry
 * prints it last on its console, at the beginning of a line (a guest's
 * lines are prefixed with its VM's name, so none can look like it), and
 * the host tool that relays the console exits with it (tools/ferry/launch.c).
 */
#define FERRY_EXIT_LINE "Ferry: powered off, exit code "

#endif

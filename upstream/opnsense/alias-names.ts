// The names OPNsense refuses as firewall alias names, as its model checks them (case-sensitive):
// the pf keywords listed in opnsense/core models/OPNsense/Firewall/FieldTypes/AliasNameField.php,
// and every name or alias in the firewall's /etc/services (read by Util::getservbyname) and
// /etc/protocols (PHP getprotobyname), both FreeBSD's (usr.sbin/services_mkdb/services,
// lib/libc/net/protocols). Of those two tables only the entries an alias name could spell are
// kept: the others fail the name pattern first. Shared by the client's checks and the simulator,
// since its source is the firewall's model, not our guess.

/** pf's reserved words: "The name cannot be the internally reserved keyword". */
export const PF_RESERVED_WORDS: ReadonlySet<string> = new Set(
  (
    "all allow-opts altq anchor antispoof any bandwidth binat binat-anchor bitmask block block-policy " +
    "buckets cbq code codelq crop debug divert-reply divert-to drop drop-ovl dup-to fail-policy fairq " +
    "fastroute file fingerprints flags floating flush for fragment from global group hfsc hogs hostid " +
    "icmp-type icmp6-type if-bound in include inet inet6 interval keep label limit linkshare load log " +
    "loginterface max max-mss max-src-conn max-src-conn-rate max-src-nodes max-src-states min-ttl " +
    "modulate nat nat-anchor no no-df no-route no-sync on optimization os out overload pass port prio " +
    "priority priq probability proto qlimit queue quick random random-id rdr rdr-anchor realtime " +
    "reassemble reply-to require-order return return-icmp return-icmp6 return-rst round-robin route " +
    "route-to rtable rule ruleset-optimization scrub set set-tos skip sloppy source-hash source-track " +
    "state state-defaults state-policy static-port sticky-address synproxy table tag tagged target " +
    "tbrsize timeout to tos ttl upperlimit urpf-failed user"
  ).split(" "),
);

/** FreeBSD /etc/services names and aliases: "Reserved protocol or service names may not be used". */
export const SERVICE_NAMES: ReadonlySet<string> = new Set(
  (
    "tcpmux compressnet rje echo discard sink null systat users daytime qotd quote msp chargen ttytst " +
    "source ftp ssh telnet smtp mail dsp time timserver rap rlp resource graphics nameserver name nicname " +
    "whois mpm auditd tacacs domain acas whoispp covia bootps dhcps bootpc dhcpc tftp gopher deos vettcp " +
    "finger http www xfer ctf mfcobol kerberos dnsix npp dcp objcall supdup dixie tacnews metagram " +
    "newacct hostname hostnames tsap cso pop3pw rtelnet snagas pop2 postoffice pop3 sunrpc rpcbind mcidas " +
    "auth ident tap sftp ansanotify sqlserv nntp usenet cfdptkt erpc smakynet ntp ansatrader nxedit " +
    "pwdgen statsrv epmap profile imap imap2 imap4 uma uaac jargon hems bftp sgmp sqlsrv snmp snmptrap " +
    "namp rsvd send multiplex mailq vmnet xdmcp nextstep bgp ris unify audit ocbinder ocserver kis aci " +
    "mumps qft gacp cacp prospero srmp irc dls smux src qmtp wais anet ipx vmpwscs softpc CAIlic atls " +
    "dbase mpp uarps imap3 cdc masqdialer direct inbusiness link dsp3270 subntbcst_tftp bhfhs set " +
    "openport nsiiops arcisdms hdap bgmp sst manet gist rescap corerjd fxp novastorbakcup entrusttime " +
    "bhmds vslmp dpsi decauth zannet pip rtsps texar pdap pawserv zserv fatserv mftp bhoetty bhoedap4 " +
    "ndsauth bh611 bhevent shrinkwrap nsrmp scoi2odialog semantix srssend rsvp_tunnel dtk odmr " +
    "mortgageware qbikgdp rpc2portmap codaauth2 clearcase ulistserv ulistproc hassle nip tnETOS dsETOS " +
    "is99c is99s arns asa aurp ldap uis meta5 netcp mptn kryptolan ups genie decap nced ncld imsp " +
    "timbuktu decladebug rmt smsp infoseek bnet silverplatter onmux ariel1 smpte ariel2 ariel3 smartsdp " +
    "svrloc ocs_cmu ocs_amu utmpsd utmpcd iasd nnsp comscm dsfgw dasp sgcp cvc_hostd https snpp tserver " +
    "creativeserver contentserver creativepartnr scohelp appleqtc skronk datasurfsrv datasurfsrvsec alpes " +
    "kpasswd kpasswd5 smtps urd submissions igmpv3lite photuris rcp mondex tcpnethaspsrv ss7ns spsc " +
    "iafserver iafdbase ph ulpnet powerburst avian saft intecourier retrospect siam isakmp stmf mbap " +
    "intrinsa citadel ohimsrv crs xvttp snare fcp passgo exec biff comsat login who whod shell cmd syslog " +
    "printer spooler videotex talk ntalk utime unixtime efs router route routed ripng ulp ncp timed " +
    "timeserver tempo newdate stx custix courier rpc conference chat netnews readnews netwall windream " +
    "iiop nmsp gdomap uucp uucpd commerce klogin kshell krcmd appleqtcsrvr afpovertcp idfp cybercash " +
    "deviceshare pirp rtsp dsf remotefs rfs rfs_server sdnskmp teedtap rmonitor rmonitord monitor chshell " +
    "chcmd nntps snntp whoami streettalk meter umeter sonar vemmi ipcd vnas ipdd decbsrv bdp keyserver " +
    "submission cal eyelink tpip smsd ptcnameservice acp ipcserver idxp tunnel urm nqs sshell " +
    "collaborator cryptoadmin dec_dlm asia qmqp rda ipp ipps bmpp servstat ginad rlzdbase ldaps sldap " +
    "lanserver msdp repcmd sanity dwr pssc ldp rrp obex repscmd aodv tinc spmp rmc tenfold hap pftp " +
    "purenoise mdqs doom disclose mecomm meregister cimplex acap dctp vpp mrm xfr asipregistry nmap vatp " +
    "connendp rushd uuidgen olsr accessnetwork epp lmp elcsd agentx silc entrustmanager tbrpf pana " +
    "netviewdm1 netviewdm2 netviewdm3 netgw netrcs flexlm rfile loadav kdc pump qrh rrh krb_prop " +
    "krb5_prop tell nlogin con ns rxe quotad cycleserv omserv webster phonebook vid cadlock rtip " +
    "cycleserv2 submit notify rpasswd acmaint_dbd entomb acmaint_transd wpages wpgs mdbs_daemon device " +
    "netconfsoaphttp netconfsoapbeep gdoi iscsi supfilesrv rsync iclcnet_svinfo accessbuilder " +
    "omginitialrefs swat smpnameres kink rndc ftps nas telnets imaps ircs pop3s spop3 vsinet maitrd " +
    "busboy puparp garcon applix puprouter cadlock2 webpush surf exp1 exp2 blackjack cap nim nimreg " +
    "instl_boots instl_bootc socks webobjects cnrprotocol rmiactivation rmiregistry mctp kpop supfiledbg " +
    "nfa tripwire skkserv openvpn healthd h323hostcallsc hkrb5gatekeeper krb5gatekeeper icap ingreslock " +
    "orasrv tlisrv pciarray issd nkd shiva_confsrvr xnmp l2f l2tp pptp radius radacct ssdp licensedaemon " +
    "ipsendmsg cfingerd mailbox oracle lam interbase nfsd nfs dlsrpn dlswpn gnunet descent3 minipay mzap " +
    "eklogin ekshell gdbremote airsync rapi vmrdp jps hpocbus hpssd hpiod dbm rsmtp cvspserver venus " +
    "codasrv sybasedbsynch citrixima citrixadmin hpstgmgr servicemeter netmon connection dict smpp m2ua " +
    "m3ua netplan cifs eppc gds_db grubd mysql rdp prsvp nppmp nut m2pa tsp daap svn diameter dnx lockd " +
    "nuts_dem nuts_bootp sieve nss rwhois epmd krb524 hylafax ipfix ipfixs vxlan rfe mmcc sip car cxtp " +
    "presence cfengine mdns mdnsresponder postgresql vami rplay amqps amqp v5ua canna couchdb cvsup x11 " +
    "sge_qmaster sge_execd kftp ktelnet ircu ircd simco privoxy puppet pim asterix natd aurora jetdirect " +
    "git odbcpathway davsrc davsrcs sd iua enrp amanda amandaidx amidxtape wmereceiving wmedistribution " +
    "wmereporting bpcd sua biimenu nfsrdma wnn6 wnn4 wnn6_Cn wnn4_Cn wnn6_Kr wnn4_Kr wnn6_Tw wnn4_Tw " +
    "sgsap sbcap iuhsctpassoc dbbrowse"
  ).split(" "),
);

/** FreeBSD /etc/protocols names and aliases (same message as services). */
export const PROTOCOL_NAMES: ReadonlySet<string> = new Set(
  (
    "ip IP icmp ICMP igmp IGMP ggp GGP ipencap st2 ST2 tcp TCP cbt CBT egp EGP igp IGP nvp pup PUP argus " +
    "ARGUS emcon EMCON xnet XNET chaos CHAOS udp UDP mux MUX dcn hmp HMP prm PRM rdp RDP irtp IRTP netblt " +
    "NETBLT dccp DCCP idpr IDPR xtp XTP ddp DDP il IL ipv6 IPV6 sdrp SDRP idrp IDRP rsvp RSVP gre GRE dsr " +
    "DSR bna BNA esp ESP ah AH swipe SWIPE narp NARP mobile MOBILE tlsp TLSP skip SKIP icmp6 cftp CFTP " +
    "kryptolan KRYPTOLAN rvd RVD ippc IPPC visa VISA ipcv IPCV cpnx CPNX cphb CPHB wsn WSN pvp PVP vmtp " +
    "VMTP vines VINES ttp TTP dgp DGP tcf TCF eigrp EIGRP ospf OSPFIGP larp LARP mtp MTP ipip IPIP micp " +
    "MICP etherip ETHERIP encap ENCAP gmtp GMTP ifmp IFMP pnni PNNI pim PIM aris ARIS scps SCPS qnx QNX " +
    "ipcomp IPComp snp SNP carp CARP vrrp pgm PGM l2tp L2TP ddx DDX iatp IATP stp STP srp SRP uti UTI smp " +
    "SMP sm SM ptp PTP isis ISIS fire FIRE crtp CRTP crudp CRUDP sscopmce SSCOPMCE iplt IPLT sps SPS pipe " +
    "PIPE sctp SCTP fc FC udplite UDPLite manet MANET hip HIP shim6 SHIM6 wesp WESP rohc ROHC pfsync " +
    "PFSYNC divert DIVERT"
  ).split(" "),
);

/** AliasNameField's pattern: a letter or one underscore first, at most 31 characters. */
export const ALIAS_NAME_PATTERN =
  /^([a-zA-Z]|(([_a-zA-Z][a-zA-Z0-9]|[a-zA-Z][_a-zA-Z0-9])[_a-zA-Z0-9]{0,29}))$/;

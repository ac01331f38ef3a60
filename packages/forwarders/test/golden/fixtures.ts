/** Addresses and MACs of the golden tables' imaginary lab (198.18.0.0/15 and 2001:db8::/32 only). */
export const CLIENT = '198.18.0.10';
export const VIP = '198.18.0.100';
export const RIP = '198.18.1.11';
export const DIP = '198.18.1.1';
export const ROUTER = '198.18.0.254';
export const CLIENT6 = '2001:db8::10';
export const VIP6 = '2001:db8::100';
export const RIP6 = '2001:db8:1::11';
export const ROUTER6 = '2001:db8::fe';
/** The client-side router (or the client itself on a flat lab). */
export const MAC_CLIENT = '02:00:00:00:00:0a';
/** The director. */
export const MAC_DIRECTOR = '02:00:00:00:00:fe';
/** The real server. */
export const MAC_RS = '02:00:00:00:01:0b';

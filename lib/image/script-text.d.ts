// Shell scripts an image carries are imported as text (Bun `with { type: "text" }`) so a compiled
// runm embeds them.
declare module "*.sh" {
  const text: string;
  export default text;
}
